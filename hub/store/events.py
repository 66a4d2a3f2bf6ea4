"""Events' read statements and rows, written once for every engine: one event by id, the
newest-first listing by filters, and the feed's oldest-first read after a cursor."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select

from hub.model import Event, EventFilter
from hub.store.base import check_cursor
from hub.store.statements import SQLITE, Compiled, Row, compiled, filtered
from hub.store.tables import events

FILTERS = (("type", events.c.type.__eq__), ("subject", events.c.subject.__eq__),
           ("connector", events.c.connector.__eq__), ("company", events.c.company.__eq__),
           ("since", events.c.time.__ge__), ("until", events.c.time.__lt__),
           ("cursor", events.c.id.__lt__))  # fmt: skip


@dataclass(frozen=True)
class Statements:
    get: Compiled
    after: Compiled  # oldest first, after a cursor (the feed, the tracker, the indexer)


@lru_cache(maxsize=4)
def for_dialect(dialect: Any = SQLITE) -> Statements:
    return Statements(
        get=compiled(select(events).where(events.c.id == bindparam("event_id")), dialect),
        after=compiled(select(events).where(events.c.id > bindparam("cursor"))
                       .order_by(events.c.id).limit(bindparam("limit")), dialect),
    )  # fmt: skip


@lru_cache(maxsize=128)
def listing(given: frozenset[str], dialect: Any = SQLITE) -> Compiled:
    """The newest-first page by the filters `given` (compiled once per combination)."""
    query = filtered(select(events), FILTERS, given)
    return compiled(query.order_by(events.c.id.desc()).limit(bindparam("limit")), dialect)


def listing_values(where: EventFilter, cursor: str | None, limit: int) -> dict[str, Any]:
    found = {"type": where.type, "subject": where.subject, "connector": where.connector,
             "company": where.company, "since": where.since, "until": where.until,
             "cursor": check_cursor(cursor)}  # fmt: skip
    return {k: v for k, v in found.items() if v is not None} | {"limit": limit}


def listing_sql(where: EventFilter, cursor: str | None, limit: int) -> tuple[str, list[Any]]:
    """The listing's SQL and parameters on SQLite (for query-plan tests)."""
    given = listing_values(where, cursor, limit)
    statement = listing(frozenset(given))
    return statement.sql, list(statement.bind(given))


def event_of(row: Row) -> Event:
    return Event(
        id=row["id"], type=row["type"], source=row["source"], connector=row["connector"],
        time=row["time"], received_at=row["received_at"], data_json=row["data"],
        subject=row["subject"], company=row["company"], schema_version=row["schema_version"],
        receipt_id=row["receipt_id"],
    )  # fmt: skip
