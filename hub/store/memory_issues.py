"""Issues in the in-memory store."""

from __future__ import annotations

from dataclasses import replace

from hub.ids import new_id
from hub.model import Issue, IssueKey, IssueStatus, Page
from hub.store.base import newest_first

LIVE = (IssueStatus.OPEN, IssueStatus.ACKNOWLEDGED)


class MemoryIssues:
    """The issues half of `MemoryStore`."""

    def _issues_init(self) -> None:
        self.issues: dict[str, Issue] = {}

    def _live(self, key: str) -> Issue | None:
        return next((i for i in self.issues.values() if i.key == key and i.status in LIVE), None)

    async def note_issue(self, key: IssueKey, now: float, detail: str | None) -> Issue | None:
        live = self._live(key.key)
        if live is not None:
            self.issues[live.id] = replace(live, count=live.count + 1, last_seen=now, detail=detail)
            return None
        issue = Issue(new_id("iss"), key.key, key.kind, key.scope, key.title,
                      IssueStatus.OPEN, 1, now, now, detail)  # fmt: skip
        self.issues[issue.id] = issue
        return issue

    async def resolve_issues(self, kinds: list[str], scope: str, now: float) -> list[Issue]:
        done = []
        for issue in list(self.issues.values()):
            if issue.status in LIVE and issue.kind in kinds and issue.scope == scope:
                done.append(replace(issue, status=IssueStatus.RESOLVED, resolved_at=now))
                self.issues[issue.id] = done[-1]
        return sorted(done, key=lambda i: i.id)

    async def set_issue_status(
        self, issue_id: str, status: IssueStatus, now: float
    ) -> Issue | None:
        issue = self.issues.get(issue_id)
        if issue is None:
            return None
        resolved_at = now if status is IssueStatus.RESOLVED else None
        self.issues[issue_id] = replace(issue, status=status, resolved_at=resolved_at)
        return self.issues[issue_id]

    async def get_issue(self, issue_id: str) -> Issue | None:
        return self.issues.get(issue_id)

    async def list_issues(
        self, status: IssueStatus | None, cursor: str | None, limit: int
    ) -> Page[Issue]:
        found = [i for i in self.issues.values() if status is None or i.status == status]
        return newest_first(found, cursor, limit)

    async def live_issues(self) -> list[Issue]:
        return sorted((i for i in self.issues.values() if i.status in LIVE), key=lambda i: i.id)
