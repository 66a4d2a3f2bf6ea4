"""The audit trail on SQLite: the statements of `hub.store.audit`, run by the store's seams."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import hub.store.audit as audit
from hub.model import AuditEntry, AuditFilter, Page
from hub.store.base import MAX_PAGE, page
from hub.store.statements import Compiled

if TYPE_CHECKING:
    from hub.store.group_commit import Operation


class SqliteAudit:
    """The audit half of `SqliteStore`; it reads and writes through the store's own seams."""

    if TYPE_CHECKING:

        async def _rows(self, statement: Compiled, values: Mapping[str, Any]) -> list[Any]: ...

        async def _write(self, operation: Operation) -> Any: ...

    async def add_audit(self, entry: AuditEntry) -> None:
        params = audit.INSERT.bind(audit.values(entry))

        def operation(conn: sqlite3.Connection) -> None:
            conn.execute(audit.INSERT.sql, params)

        await self._write(operation)

    async def list_audit(
        self, where: AuditFilter, cursor: str | None, limit: int
    ) -> Page[AuditEntry]:
        limit = min(limit, MAX_PAGE)
        given = audit.listing_values(where, cursor, limit + 1)
        rows = await self._rows(audit.listing(frozenset(given)), given)
        return page([audit.entry_of(r) for r in rows], limit)
