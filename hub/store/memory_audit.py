"""The audit trail of the in-memory store."""

from __future__ import annotations

from hub.model import AuditEntry, AuditFilter, Page
from hub.store.base import newest_first


def admitted(entry: AuditEntry, where: AuditFilter) -> bool:
    """Whether an entry passes a filter."""
    return (
        (where.actor_id is None or entry.actor_id == where.actor_id)
        and (where.action is None or entry.action == where.action)
        and (where.since is None or entry.at >= where.since)
        and (where.until is None or entry.at < where.until)
    )


class MemoryAudit:
    """The audit half of `MemoryStore`."""

    def _audit_init(self) -> None:
        self.audit: dict[str, AuditEntry] = {}

    async def add_audit(self, entry: AuditEntry) -> None:
        self.audit[entry.id] = entry

    async def list_audit(
        self, where: AuditFilter, cursor: str | None, limit: int
    ) -> Page[AuditEntry]:
        return newest_first([e for e in self.audit.values() if admitted(e, where)], cursor, limit)
