"""The audit trail of the SQLite store: one row per admin action, newest first by id."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hub.model import AuditEntry, AuditFilter, Page
from hub.store.base import MAX_PAGE, check_cursor, page

if TYPE_CHECKING:
    from hub.store.group_commit import Operation

COLUMNS = (
    "id, at, actor_id, actor_name, action, method, path, target, status, via, remote, request_id"
)


def audit_where(where: AuditFilter) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for clause, value in (
        ("actor_id = ?", where.actor_id),
        ("action = ?", where.action),
        ("at >= ?", where.since),
        ("at < ?", where.until),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return clauses, params


def _entry(row: Sequence[Any]) -> AuditEntry:
    return AuditEntry(
        id=row[0], at=row[1], actor_id=row[2], actor_name=row[3], action=row[4], method=row[5],
        path=row[6], target=json.loads(row[7]), status=row[8], via=row[9], remote=row[10],
        request_id=row[11],
    )  # fmt: skip


class SqliteAudit:
    """The audit half of `SqliteStore`; it reads and writes through the store's own seams."""

    if TYPE_CHECKING:

        async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]: ...

        async def _write(self, operation: Operation) -> Any: ...

    async def add_audit(self, entry: AuditEntry) -> None:
        e = entry
        values = (
            e.id, e.at, e.actor_id, e.actor_name, e.action, e.method, e.path,
            json.dumps(e.target), e.status, e.via, e.remote, e.request_id,
        )  # fmt: skip

        def operation(conn: sqlite3.Connection) -> None:
            conn.execute(f"INSERT INTO audit ({COLUMNS}) VALUES ({','.join('?' * 12)})", values)

        await self._write(operation)

    async def list_audit(
        self, where: AuditFilter, cursor: str | None, limit: int
    ) -> Page[AuditEntry]:
        limit = min(limit, MAX_PAGE)
        clauses, params = audit_where(where)
        if check_cursor(cursor):
            clauses.append("id < ?")
            params.append(cursor)
        sql = f"SELECT {COLUMNS} FROM audit"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        rows = await self._all(sql + " ORDER BY id DESC LIMIT ?", [*params, limit + 1])
        return page([_entry(r) for r in rows], limit)
