"""Issues on SQLite: the statements of `hub.store.issues`, run by the store's seams."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import hub.store.issues as issues
from hub.ids import new_id
from hub.model import Issue, IssueKey, IssueStatus, Page
from hub.store.base import MAX_PAGE, check_cursor, page
from hub.store.statements import Compiled, named

SQL = issues.for_dialect()

if TYPE_CHECKING:
    from hub.store.group_commit import Operation


def _returned(cursor: sqlite3.Cursor) -> list[Issue]:
    names = [d[0] for d in cursor.description]
    return [issues.issue_of(named(names, row)) for row in cursor.fetchall()]


class SqliteIssues:
    """The issues half of `SqliteStore`; it reads and writes through the store's own seams."""

    if TYPE_CHECKING:

        async def _rows(self, statement: Compiled, values: Mapping[str, Any]) -> list[Any]: ...

        async def _write(self, operation: Operation) -> Any: ...

    async def note_issue(self, key: IssueKey, now: float, detail: str | None) -> Issue | None:
        fresh = Issue(new_id("iss"), key.key, key.kind, key.scope, key.title,
                      IssueStatus.OPEN, 1, now, now, detail)  # fmt: skip
        counting = SQL.count.bind({"key": key.key, "now": now, "detail": detail})
        inserting = SQL.insert.bind(issues.values(fresh))

        def operation(conn: sqlite3.Connection) -> Issue | None:
            if conn.execute(SQL.count.sql, counting).rowcount:
                return None
            conn.execute(SQL.insert.sql, inserting)
            return fresh

        opened: Issue | None = await self._write(operation)
        return opened

    async def resolve_issues(self, kinds: list[str], scope: str, now: float) -> list[Issue]:
        statement = issues.resolving(len(kinds))
        given = {f"kind_{n}": kind for n, kind in enumerate(kinds)}
        params = statement.bind(given | {"scope": scope, "now": now})

        def operation(conn: sqlite3.Connection) -> list[Issue]:
            return sorted(_returned(conn.execute(statement.sql, params)), key=lambda i: i.id)

        done: list[Issue] = await self._write(operation)
        return done

    async def set_issue_status(
        self, issue_id: str, status: IssueStatus, now: float
    ) -> Issue | None:
        resolved_at = now if status is IssueStatus.RESOLVED else None
        params = SQL.set_status.bind(
            {"issue_id": issue_id, "to": str(status), "resolved_at": resolved_at}
        )

        def operation(conn: sqlite3.Connection) -> Issue | None:
            found = _returned(conn.execute(SQL.set_status.sql, params))
            return found[0] if found else None

        changed: Issue | None = await self._write(operation)
        return changed

    async def get_issue(self, issue_id: str) -> Issue | None:
        rows = await self._rows(SQL.get, {"issue_id": issue_id})
        return issues.issue_of(rows[0]) if rows else None

    async def list_issues(
        self, status: IssueStatus | None, cursor: str | None, limit: int
    ) -> Page[Issue]:
        limit = min(limit, MAX_PAGE)
        after = check_cursor(cursor)
        given: dict[str, Any] = {"limit": limit + 1, "cursor": after}
        if status is not None:
            given["status"] = str(status)
        rows = await self._rows(issues.listing(status is not None, after is not None), given)
        return page([issues.issue_of(r) for r in rows], limit)

    async def live_issues(self) -> list[Issue]:
        return [issues.issue_of(r) for r in await self._rows(SQL.live, {})]
