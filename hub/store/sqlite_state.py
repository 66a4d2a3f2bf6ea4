"""Business state on SQLite: the statements of `hub.store.objects`, run by the store's seams.

Every change the state tracker makes is one `apply_state` write, committed with the status
events it raises and the cursor past the event that caused it, through the same group commit
as everything else.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import hub.store.objects as objects
from hub.model import BusinessObject, Event, LogEntry, ObjectDeadline, ObjectFilter, Page
from hub.model import StateChange as Change
from hub.store.base import MAX_PAGE, check_cursor, page
from hub.store.events import event_of
from hub.store.sqlite_writes import IngestWrite
from hub.store.statements import Compiled, padded

if TYPE_CHECKING:
    from hub.store.group_commit import Operation

READ = objects.reads()
WRITE = objects.writes()


def _many(conn: sqlite3.Connection, statement: Compiled, rows: list[Mapping[str, Any]]) -> None:
    if rows:
        conn.executemany(statement.sql, [statement.bind(r) for r in rows])


def _each(
    conn: sqlite3.Connection, statements: tuple[Compiled, ...], values: dict[str, Any]
) -> None:
    for statement in statements:
        conn.execute(statement.sql, statement.bind(values))


def _apply(conn: sqlite3.Connection, change: Change) -> bool:
    """The whole change, inside the group commit's transaction."""
    if change.cursor_to is not None:
        row = conn.execute(READ.cursor.sql, READ.cursor.bind({})).fetchone()
        if (row[0] if row else None) != change.cursor_from:
            return False  # applied already: a replay of this event changes nothing
    if change.replace_types:
        size, values = padded("v", change.replace_types)
        _each(conn, objects.dropping(size), values)
    if change.removed:
        size, values = padded("v", change.removed)
        _each(conn, objects.merging(size), values | {"survivor": change.objects[0].id})
    _many(conn, WRITE.upsert_object, [objects.object_values(o) for o in change.objects])
    _many(conn, WRITE.upsert_alias, [
        {"alias": a, "value": a.partition(":")[2], "object_id": o.id}
        for o in change.objects for a in o.aliases
    ])  # fmt: skip
    _many(conn, WRITE.log, [objects.log_values(e) for e in change.log])
    _many(conn, WRITE.timeline, [{"object_id": o, "event_id": e} for o, e in change.timeline])
    _many(conn, WRITE.clear_deadline,
          [{"object_id": i} for i in [*change.cleared, *change.fired]])  # fmt: skip
    _many(conn, WRITE.set_deadline, [objects.deadline_values(d) for d in change.deadlines])
    if change.receipt is not None:
        IngestWrite.apply_batch(
            conn, [IngestWrite(change.receipt, change.events, change.deliveries)]
        )
    if change.cursor_to is not None:
        conn.execute(WRITE.set_cursor.sql, WRITE.set_cursor.bind({"cursor": change.cursor_to}))
    return True


class SqliteState:
    """The state half of `SqliteStore`; it reads and writes through the store's own seams."""

    if TYPE_CHECKING:

        async def _rows(self, statement: Compiled, values: Mapping[str, Any]) -> list[Any]: ...

        async def _write(self, operation: Operation) -> Any: ...

    async def state_cursor(self) -> str | None:
        rows = await self._rows(READ.cursor, {})
        return None if not rows else str(rows[0]["value"])

    async def objects_by_alias(self, aliases: list[str]) -> dict[str, str]:
        if not aliases:
            return {}
        size, values = padded("v", aliases)
        rows = await self._rows(objects.aliases_of(size, by_object=False), values)
        return {str(r["alias"]): str(r["object_id"]) for r in rows}

    async def _with_aliases(self, rows: list[Any]) -> list[BusinessObject]:
        if not rows:
            return []
        found: dict[str, list[str]] = {r["id"]: [] for r in rows}
        size, values = padded("v", list(found))
        for alias in await self._rows(objects.aliases_of(size, by_object=True), values):
            found[alias["object_id"]].append(alias["alias"])
        return [objects.object_of(r, found[r["id"]]) for r in rows]

    async def get_object(self, object_id: str) -> BusinessObject | None:
        found = await self._with_aliases(await self._rows(READ.get, {"object_id": object_id}))
        return found[0] if found else None

    async def holders(self, aliases: list[str]) -> list[BusinessObject]:
        if not aliases:
            return []
        size, values = padded("v", aliases)
        return await self._with_aliases(await self._rows(objects.holders(size), values))

    async def find_object(self, object_type: str, key: str) -> BusinessObject | None:
        for statement in (READ.by_key, READ.by_alias, READ.by_value):
            rows = await self._rows(statement, {"type": object_type, "key": key})
            found = await self._with_aliases(rows)
            if found:
                return found[0]
        return None

    async def list_objects(
        self, where: ObjectFilter, cursor: str | None, limit: int
    ) -> Page[BusinessObject]:
        limit = min(limit, MAX_PAGE)
        given = objects.listing_values(where, check_cursor(cursor), limit + 1)
        rows = await self._rows(objects.listing(frozenset(given)), given)
        return page(await self._with_aliases(rows), limit)

    async def apply_state(self, change: Change) -> bool:
        applied: bool = await self._write(lambda conn: _apply(conn, change))
        return applied

    async def kept_log(self, types: list[str]) -> list[LogEntry]:
        if not types:
            return []
        size, values = padded("v", types)
        return [objects.log_of(r) for r in await self._rows(objects.kept_log(size), values)]

    async def logbook(self, object_id: str, limit: int) -> list[LogEntry]:
        rows = await self._rows(READ.logbook, {"object_id": object_id, "limit": limit})
        return [objects.log_of(r) for r in rows]

    async def timeline(self, object_id: str, limit: int) -> list[Event]:
        rows = await self._rows(READ.timeline, {"object_id": object_id, "limit": limit})
        return [event_of(r) for r in rows]

    async def deadlines(self, object_id: str) -> list[ObjectDeadline]:
        rows = await self._rows(READ.deadlines, {"object_id": object_id})
        return [objects.deadline_of(r) for r in rows]

    async def due_deadlines(self, now: float, limit: int) -> list[ObjectDeadline]:
        rows = await self._rows(READ.due, {"now": now, "limit": limit})
        return [objects.deadline_of(r) for r in rows]

    async def next_deadline(self) -> float | None:
        rows = await self._rows(READ.next_due, {})
        return None if not rows or rows[0]["due"] is None else float(rows[0]["due"])
