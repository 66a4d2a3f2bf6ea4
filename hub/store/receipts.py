"""Receipts' read statements and rows, written once for every engine: one receipt by id, and
the receipts in one status (quarantined, ignored, reprocessed), newest first. A processed
receipt keeps no status (NULL), which keeps ingest rows short."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select

from hub.model import Receipt, ReceiptStatus
from hub.store.statements import SQLITE, Compiled, Row, compiled
from hub.store.tables import receipts


@dataclass(frozen=True)
class Statements:
    get: Compiled
    first: Compiled  # the newest page in one status
    after: Compiled  # the page after a cursor


@lru_cache(maxsize=4)
def for_dialect(dialect: Any = SQLITE) -> Statements:
    in_status = (select(receipts).where(receipts.c.status == bindparam("status"))
                 .order_by(receipts.c.id.desc()).limit(bindparam("limit")))  # fmt: skip
    return Statements(
        get=compiled(select(receipts).where(receipts.c.id == bindparam("receipt_id")), dialect),
        first=compiled(in_status, dialect),
        after=compiled(in_status.where(receipts.c.id < bindparam("cursor")), dialect),
    )


def receipt_of(row: Row) -> Receipt:
    return Receipt(
        id=row["id"], connector=row["connector"], sender_id=row["sender_id"],
        received_at=row["received_at"], body=bytes(row["body"]),
        event_ids=list(json.loads(row["event_ids"])),
        status=ReceiptStatus(row["status"]) if row["status"] else ReceiptStatus.PROCESSED,
        reason=row["reason"], headers=json.loads(row["headers"]) if row["headers"] else None,
        query=json.loads(row["query"]) if row["query"] else None, request_id=row["request_id"],
    )  # fmt: skip
