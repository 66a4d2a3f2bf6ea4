"""The audit trail's statements and rows, written once for every engine: one row per admin
action, newest first by id."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, insert, select

from hub.model import AuditEntry, AuditFilter
from hub.store.base import check_cursor
from hub.store.statements import SQLITE, Compiled, Row, compiled, filtered
from hub.store.tables import audit


@lru_cache(maxsize=4)
def inserting(dialect: Any = SQLITE) -> Compiled:
    return compiled(insert(audit).values({c.name: bindparam(c.name) for c in audit.columns}),
                    dialect)  # fmt: skip


INSERT = inserting()
FILTERS = (("actor_id", audit.c.actor_id.__eq__), ("action", audit.c.action.__eq__),
           ("since", audit.c.at.__ge__), ("until", audit.c.at.__lt__),
           ("cursor", audit.c.id.__lt__))  # fmt: skip


@lru_cache(maxsize=64)
def listing(given: frozenset[str], dialect: Any = SQLITE) -> Compiled:
    """The listing for the filters `given` (compiled once per combination)."""
    query = filtered(select(audit), FILTERS, given)
    return compiled(query.order_by(audit.c.id.desc()).limit(bindparam("limit")), dialect)


def listing_values(where: AuditFilter, cursor: str | None, limit: int) -> dict[str, Any]:
    found = {"actor_id": where.actor_id, "action": where.action, "since": where.since,
             "until": where.until, "cursor": check_cursor(cursor)}  # fmt: skip
    return {k: v for k, v in found.items() if v is not None} | {"limit": limit}


def values(entry: AuditEntry) -> Mapping[str, Any]:
    return {
        "id": entry.id, "at": entry.at, "actor_id": entry.actor_id,
        "actor_name": entry.actor_name, "action": entry.action, "method": entry.method,
        "path": entry.path, "target": json.dumps(entry.target), "status": entry.status,
        "via": entry.via, "remote": entry.remote, "request_id": entry.request_id,
    }  # fmt: skip


def entry_of(row: Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"], at=row["at"], actor_id=row["actor_id"], actor_name=row["actor_name"],
        action=row["action"], method=row["method"], path=row["path"],
        target=json.loads(row["target"]), status=row["status"], via=row["via"],
        remote=row["remote"], request_id=row["request_id"],
    )  # fmt: skip
