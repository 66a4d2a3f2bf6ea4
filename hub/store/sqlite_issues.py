"""Issues in the SQLite store: at most one live (open or acknowledged) row per key, which a
partial unique index guarantees, so two failures at once count on one issue."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hub.ids import new_id
from hub.model import Issue, IssueKey, IssueStatus, Page
from hub.store.base import MAX_PAGE, check_cursor, page

if TYPE_CHECKING:
    from hub.store.group_commit import Operation

COLUMNS = "id, key, kind, scope, title, status, count, first_seen, last_seen, detail, resolved_at"
LIVE = "status != 'resolved'"


def _issue(row: Sequence[Any]) -> Issue:
    return Issue(row[0], row[1], row[2], row[3], row[4], IssueStatus(row[5]), row[6], row[7],
                 row[8], row[9], row[10])  # fmt: skip


class SqliteIssues:
    """The issues half of `SqliteStore`; it reads and writes through the store's own seams."""

    if TYPE_CHECKING:

        async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]: ...

        async def _write(self, operation: Operation) -> Any: ...

    async def note_issue(self, key: IssueKey, now: float, detail: str | None) -> Issue | None:
        fresh = Issue(new_id("iss"), key.key, key.kind, key.scope, key.title,
                      IssueStatus.OPEN, 1, now, now, detail)  # fmt: skip

        def operation(conn: sqlite3.Connection) -> Issue | None:
            counted = conn.execute(
                f"UPDATE issues SET count = count + 1, last_seen = ?, detail = ? "
                f"WHERE key = ? AND {LIVE}",
                (now, detail, key.key),
            )
            if counted.rowcount:
                return None
            conn.execute(
                f"INSERT INTO issues ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (fresh.id, fresh.key, fresh.kind, fresh.scope, fresh.title, str(fresh.status),
                 1, now, now, detail, None),
            )  # fmt: skip
            return fresh

        opened: Issue | None = await self._write(operation)
        return opened

    async def resolve_issues(self, kinds: list[str], scope: str, now: float) -> list[Issue]:
        marks = ",".join("?" * len(kinds))

        def operation(conn: sqlite3.Connection) -> list[Issue]:
            rows = conn.execute(
                f"UPDATE issues SET status = 'resolved', resolved_at = ? "
                f"WHERE scope = ? AND kind IN ({marks}) AND {LIVE} RETURNING {COLUMNS}",
                (now, scope, *kinds),
            ).fetchall()
            return sorted((_issue(r) for r in rows), key=lambda i: i.id)

        done: list[Issue] = await self._write(operation)
        return done

    async def set_issue_status(
        self, issue_id: str, status: IssueStatus, now: float
    ) -> Issue | None:
        resolved_at = now if status is IssueStatus.RESOLVED else None

        def operation(conn: sqlite3.Connection) -> Issue | None:
            row = conn.execute(
                f"UPDATE issues SET status = ?, resolved_at = ? WHERE id = ? RETURNING {COLUMNS}",
                (str(status), resolved_at, issue_id),
            ).fetchone()
            return None if row is None else _issue(row)

        found: Issue | None = await self._write(operation)
        return found

    async def get_issue(self, issue_id: str) -> Issue | None:
        rows = await self._all(f"SELECT {COLUMNS} FROM issues WHERE id = ?", (issue_id,))
        return _issue(rows[0]) if rows else None

    async def list_issues(
        self, status: IssueStatus | None, cursor: str | None, limit: int
    ) -> Page[Issue]:
        limit = min(limit, MAX_PAGE)
        clauses: list[str] = []
        params: list[Any] = []
        if status is not None:
            clauses.append("status = ?")
            params.append(str(status))
        if check_cursor(cursor):
            clauses.append("id < ?")
            params.append(cursor)
        sql = f"SELECT {COLUMNS} FROM issues"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        rows = await self._all(sql + " ORDER BY id DESC LIMIT ?", [*params, limit + 1])
        return page([_issue(r) for r in rows], limit)

    async def live_issues(self) -> list[Issue]:
        rows = await self._all(f"SELECT {COLUMNS} FROM issues WHERE {LIVE} ORDER BY id")
        return [_issue(r) for r in rows]
