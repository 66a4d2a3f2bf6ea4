"""Rejections' statements and rows, written once for every engine: refused requests kept for
admins, newest first, capped so that hostile traffic cannot fill the disk."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, insert, select

from hub.model import Rejection
from hub.store.statements import SQLITE, Compiled, Row, compiled
from hub.store.tables import rejections


@dataclass(frozen=True)
class Statements:
    insert: Compiled
    trim: Compiled  # all but the newest `keep`
    first: Compiled
    after: Compiled  # the page after a cursor


@lru_cache(maxsize=4)
def for_dialect(dialect: Any = SQLITE) -> Statements:
    newest = select(rejections).order_by(rejections.c.id.desc()).limit(bindparam("limit"))
    kept_last = (select(rejections.c.id).order_by(rejections.c.id.desc()).limit(1)
                 .offset(bindparam("keep")).scalar_subquery())  # fmt: skip
    return Statements(
        insert=compiled(insert(rejections).values(
            {c.name: bindparam(c.name) for c in rejections.columns}), dialect),
        trim=compiled(delete(rejections).where(rejections.c.id <= kept_last), dialect),
        first=compiled(newest, dialect),
        after=compiled(newest.where(rejections.c.id < bindparam("cursor")), dialect),
    )  # fmt: skip


def values(r: Rejection) -> Mapping[str, Any]:
    return {
        "id": r.id, "connector": r.connector, "received_at": r.received_at, "status": r.status,
        "reason": r.reason, "detail": r.detail, "headers": json.dumps(r.headers),
        "body": r.body, "body_size": r.body_size, "errors": json.dumps(r.errors),
        "request_id": r.request_id,
    }  # fmt: skip


def rejection_of(row: Row) -> Rejection:
    return Rejection(
        id=row["id"], connector=row["connector"], received_at=row["received_at"],
        status=row["status"], reason=row["reason"], detail=row["detail"],
        headers=json.loads(row["headers"]), body=bytes(row["body"]),
        body_size=row["body_size"], errors=json.loads(row["errors"]),
        request_id=row["request_id"],
    )  # fmt: skip
