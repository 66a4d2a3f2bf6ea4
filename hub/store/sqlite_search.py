"""Full-text search over event payloads in the SQLite store: an FTS5 index of each event's
data, filled behind ingest by `hub.store.indexer` rather than in ingest's own transaction.

The index is an external-content FTS5 table over ``events`` (it keeps the tokens, not a second
copy of the payloads). A query is searched as one phrase, so ``F-1042`` finds the tokens
``f 1042`` side by side, and the newest matches come first by rowid, which FTS5 walks
without scoring every match: a common word costs the same as a rare one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hub.model import Event
from hub.store.sqlite_sql import EVENT_COLUMNS, event_row

if TYPE_CHECKING:
    from hub.store.group_commit import Operation

INDEXED_UP_TO = "event_text_rowid"  # meta: the last events rowid in the index


def phrase(text: str) -> str:
    """The text as one FTS5 phrase: quotes doubled, so no query syntax leaks through."""
    return '"' + text.replace('"', '""') + '"'


def index_batch(conn: sqlite3.Connection, limit: int) -> int:
    """Index the next `limit` events after the meta cursor; how many were indexed."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (INDEXED_UP_TO,)).fetchone()
    after = int(row[0]) if row else 0
    rows = conn.execute(
        "SELECT rowid, data FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?", (after, limit)
    ).fetchall()
    if not rows:
        return 0
    conn.executemany("INSERT INTO event_text (rowid, data) VALUES (?, ?)", rows)
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (INDEXED_UP_TO, str(rows[-1][0])),
    )
    return len(rows)


class SqliteSearch:
    """The search half of `SqliteStore`; it reads and writes through the store's own seams."""

    if TYPE_CHECKING:

        async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]: ...

        async def _write(self, operation: Operation) -> Any: ...

    async def index_text(self, limit: int) -> int:
        count: int = await self._write(lambda conn: index_batch(conn, limit))
        return count

    async def search_text(self, text: str, limit: int) -> list[Event]:
        columns = ", ".join(f"e.{c.strip()}" for c in EVENT_COLUMNS.split(","))
        rows = await self._all(
            f"SELECT {columns} FROM event_text JOIN events e ON e.rowid = event_text.rowid "
            "WHERE event_text MATCH ? ORDER BY event_text.rowid DESC LIMIT ?",
            (phrase(text), limit),
        )
        return [event_row(r) for r in rows]
