"""Business state for the SQLite store: objects, aliases, logbook, timeline, deadlines.

Every change the state tracker makes is one `apply_state` write, committed with the status
events it raises and the cursor past the event that caused it, through the same group commit
as everything else.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hub.model import BusinessObject, Event, LogEntry, ObjectDeadline, ObjectFilter, Page
from hub.model import StateChange as Change
from hub.store.base import MAX_PAGE, check_cursor, page
from hub.store.sqlite_sql import EVENT_COLUMNS, event_row
from hub.store.sqlite_writes import IngestWrite

if TYPE_CHECKING:
    from hub.store.group_commit import Operation

STATE_CURSOR = "state_cursor"
OBJECT_COLUMNS = (
    "id, type, key, status, state, reason, since, created_at, updated_at, company, facts, sources"
)
LOG_COLUMNS = (
    "id, object_id, at, trigger, outcome, from_status, to_status, message, event_id, created_by"
)


def object_row(row: Sequence[Any], aliases: Sequence[str]) -> BusinessObject:
    return BusinessObject(
        id=row[0],
        type=row[1],
        key=row[2],
        status=row[3],
        state=row[4],
        reason=row[5],
        since=row[6],
        created_at=row[7],
        updated_at=row[8],
        company=row[9],
        facts=json.loads(row[10]),
        sources=json.loads(row[11]),
        aliases=tuple(sorted(aliases)),
    )


def _object_values(o: BusinessObject) -> tuple[Any, ...]:
    facts, sources = json.dumps(o.facts, default=str), json.dumps(o.sources)
    return (
        o.id,
        o.type,
        o.key,
        o.status,
        o.state,
        o.reason,
        o.since,
        o.created_at,
        o.updated_at,
        o.company,
        facts,
        sources,
    )


def _apply(conn: sqlite3.Connection, change: Change) -> bool:
    """The whole change, inside the group commit's transaction."""
    if change.cursor_to is not None:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (STATE_CURSOR,)).fetchone()
        if (row[0] if row else None) != change.cursor_from:
            return False  # applied already: a replay of this event changes nothing
    if change.replace_types:
        _drop_types(conn, change.replace_types)
    if change.removed:
        _merge(conn, change.objects[0].id, change.removed)
    conn.executemany(
        f"INSERT INTO objects ({OBJECT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT (id) DO UPDATE SET key = excluded.key, status = excluded.status, "
        "state = excluded.state, reason = excluded.reason, since = excluded.since, "
        "updated_at = excluded.updated_at, company = excluded.company, facts = excluded.facts, "
        "sources = excluded.sources",
        [_object_values(o) for o in change.objects],
    )
    conn.executemany(
        "INSERT INTO aliases (alias, value, object_id) VALUES (?, ?, ?) "
        "ON CONFLICT (alias) DO UPDATE SET object_id = excluded.object_id",
        [(a, a.partition(":")[2], o.id) for o in change.objects for a in o.aliases],
    )
    conn.executemany(
        f"INSERT INTO logbook ({LOG_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            (
                e.id,
                e.object_id,
                e.at,
                e.trigger,
                e.outcome,
                e.from_status,
                e.to_status,
                e.message,
                e.event_id,
                e.created_by,
            )
            for e in change.log
        ],
    )
    conn.executemany("INSERT OR IGNORE INTO object_events VALUES (?, ?)", change.timeline)
    conn.executemany(
        "DELETE FROM object_deadlines WHERE object_id = ?",
        [(i,) for i in [*change.cleared, *change.fired]],
    )
    conn.executemany(
        "INSERT OR REPLACE INTO object_deadlines VALUES (?, ?, ?, ?, ?)",
        [(d.object_id, d.status, d.since, d.due_at, d.emit) for d in change.deadlines],
    )
    if change.receipt is not None:
        IngestWrite.apply_batch(
            conn, [IngestWrite(change.receipt, change.events, change.deliveries)]
        )
    if change.cursor_to is not None:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (STATE_CURSOR, change.cursor_to),
        )
    return True


def _drop_types(conn: sqlite3.Connection, types: tuple[str, ...]) -> None:
    """Every object of these types and all that hangs on it (a rebuild writes them anew)."""
    marks = ",".join("?" * len(types))
    chosen = f"(SELECT id FROM objects WHERE type IN ({marks}))"
    for table in ("aliases", "logbook", "object_events", "object_deadlines"):
        conn.execute(f"DELETE FROM {table} WHERE object_id IN {chosen}", types)
    conn.execute(f"DELETE FROM objects WHERE type IN ({marks})", types)


def _merge(conn: sqlite3.Connection, survivor: str, removed: list[str]) -> None:
    """Fold merged objects' aliases, logbook and timeline into the survivor; drop them."""
    marks = ",".join("?" * len(removed))
    conn.execute(
        f"UPDATE aliases SET object_id = ? WHERE object_id IN ({marks})", [survivor, *removed]
    )
    conn.execute(
        f"UPDATE logbook SET object_id = ? WHERE object_id IN ({marks})", [survivor, *removed]
    )
    conn.execute(
        "INSERT OR IGNORE INTO object_events SELECT ?, event_id FROM object_events "
        f"WHERE object_id IN ({marks})",
        [survivor, *removed],
    )
    for table in ("object_events", "object_deadlines", "objects"):
        column = "id" if table == "objects" else "object_id"
        conn.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", removed)


def object_where(where: ObjectFilter) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("type", where.type),
        ("status", where.status),
        ("state", where.state),
        ("company", where.company),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if where.overdue_at is not None:
        # Overdue from the moment the deadline passes until the object leaves the status: a
        # deadline passed but not raised yet, or one raised in the status it is still in
        # (a raised deadline leaves object_deadlines; its logbook entry stays).
        clauses.append(
            "(id IN (SELECT object_id FROM object_deadlines WHERE due_at <= ?) OR EXISTS ("
            "SELECT 1 FROM logbook l WHERE l.object_id = objects.id AND l.outcome = 'overdue' "
            "AND l.to_status = objects.status AND l.at >= objects.since))"
        )
        params.append(where.overdue_at)
    if where.text is not None:
        clauses.append(
            "(key = ? OR id IN (SELECT object_id FROM aliases WHERE value = ? OR alias = ?) "
            "OR instr(lower(facts), lower(?)) > 0)"
        )
        params += [where.text] * 4
    if where.alias is not None:
        # One IN over a union of indexed look-ups: the objects are found by primary key,
        # never by a scan, however many there are.
        clauses.append(
            "id IN (SELECT object_id FROM aliases WHERE value = ? UNION SELECT object_id "
            "FROM aliases WHERE alias = ? UNION SELECT id FROM objects WHERE key = ?)"
        )
        params += [where.alias] * 3
    return clauses, params


class SqliteState:
    """The state half of `SqliteStore`; it reads and writes through the store's own seams."""

    if TYPE_CHECKING:

        async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]: ...

        async def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None: ...

        async def _write(self, operation: Operation) -> Any: ...

    async def state_cursor(self) -> str | None:
        row = await self._one("SELECT value FROM meta WHERE key = ?", (STATE_CURSOR,))
        return None if row is None else str(row[0])

    async def objects_by_alias(self, aliases: list[str]) -> dict[str, str]:
        if not aliases:
            return {}
        marks = ",".join("?" * len(aliases))
        rows = await self._all(
            f"SELECT alias, object_id FROM aliases WHERE alias IN ({marks})", aliases
        )
        return {str(r[0]): str(r[1]) for r in rows}

    async def _with_aliases(self, rows: list[sqlite3.Row]) -> list[BusinessObject]:
        if not rows:
            return []
        ids = [r[0] for r in rows]
        marks = ",".join("?" * len(ids))
        found: dict[str, list[str]] = {i: [] for i in ids}
        for alias, object_id in await self._all(
            f"SELECT alias, object_id FROM aliases WHERE object_id IN ({marks})", ids
        ):
            found[object_id].append(alias)
        return [object_row(r, found[r[0]]) for r in rows]

    async def get_object(self, object_id: str) -> BusinessObject | None:
        rows = await self._all(f"SELECT {OBJECT_COLUMNS} FROM objects WHERE id = ?", (object_id,))
        found = await self._with_aliases(rows)
        return found[0] if found else None

    async def holders(self, aliases: list[str]) -> list[BusinessObject]:
        if not aliases:
            return []
        marks = ",".join("?" * len(aliases))
        rows = await self._all(
            f"SELECT {OBJECT_COLUMNS} FROM objects WHERE id IN "
            f"(SELECT object_id FROM aliases WHERE alias IN ({marks})) ORDER BY id",
            aliases,
        )
        return await self._with_aliases(rows)

    async def find_object(self, object_type: str, key: str) -> BusinessObject | None:
        for sql in (
            f"SELECT {OBJECT_COLUMNS} FROM objects WHERE type = ? AND key = ? ORDER BY id LIMIT 1",
            f"SELECT {OBJECT_COLUMNS} FROM objects WHERE type = ? AND id IN "
            "(SELECT object_id FROM aliases WHERE alias = ?) ORDER BY id LIMIT 1",
            f"SELECT {OBJECT_COLUMNS} FROM objects WHERE type = ? AND id IN "
            "(SELECT object_id FROM aliases WHERE value = ?) ORDER BY id LIMIT 1",
        ):
            found = await self._with_aliases(await self._all(sql, (object_type, key)))
            if found:
                return found[0]
        return None

    async def list_objects(
        self, where: ObjectFilter, cursor: str | None, limit: int
    ) -> Page[BusinessObject]:
        limit = min(limit, MAX_PAGE)
        clauses, params = object_where(where)
        if check_cursor(cursor):
            clauses.append("id < ?")
            params.append(cursor)
        sql = f"SELECT {OBJECT_COLUMNS} FROM objects"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        rows = await self._all(sql + " ORDER BY id DESC LIMIT ?", [*params, limit + 1])
        return page(await self._with_aliases(rows), limit)

    async def apply_state(self, change: Change) -> bool:
        applied: bool = await self._write(lambda conn: _apply(conn, change))
        return applied

    async def kept_log(self, types: list[str]) -> list[LogEntry]:
        if not types:
            return []
        marks = ",".join("?" * len(types))
        columns = ", ".join("l." + c.strip() for c in LOG_COLUMNS.split(","))
        rows = await self._all(
            f"SELECT {columns} FROM logbook l JOIN objects o ON o.id = l.object_id "
            f"WHERE o.type IN ({marks}) AND (l.trigger = 'manual' OR l.outcome = 'overdue') "
            "ORDER BY l.at, l.id",
            types,
        )
        return [LogEntry(*r) for r in rows]

    async def logbook(self, object_id: str, limit: int) -> list[LogEntry]:
        rows = await self._all(
            f"SELECT {LOG_COLUMNS} FROM logbook WHERE object_id = ? ORDER BY id DESC LIMIT ?",
            (object_id, limit),
        )
        return [LogEntry(*r) for r in rows]

    async def timeline(self, object_id: str, limit: int) -> list[Event]:
        columns = ", ".join("e." + c.strip() for c in EVENT_COLUMNS.split(","))
        rows = await self._all(
            f"SELECT {columns} FROM object_events o JOIN events e ON e.id = o.event_id "
            "WHERE o.object_id = ? ORDER BY e.id LIMIT ?",
            (object_id, limit),
        )
        return [event_row(r) for r in rows]

    async def deadlines(self, object_id: str) -> list[ObjectDeadline]:
        rows = await self._all(
            "SELECT object_id, status, since, due_at, emit FROM object_deadlines "
            "WHERE object_id = ?",
            (object_id,),
        )
        return [ObjectDeadline(*r) for r in rows]

    async def due_deadlines(self, now: float, limit: int) -> list[ObjectDeadline]:
        rows = await self._all(
            "SELECT object_id, status, since, due_at, emit FROM object_deadlines "
            "WHERE due_at <= ? ORDER BY due_at, object_id LIMIT ?",
            (now, limit),
        )
        return [ObjectDeadline(*r) for r in rows]

    async def next_deadline(self) -> float | None:
        row = await self._one("SELECT min(due_at) FROM object_deadlines")
        return None if row is None or row[0] is None else float(row[0])
