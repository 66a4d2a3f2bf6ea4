"""Issues: failures grouped so that one outage is one item an admin can act on, not 10,000
rows. "erp-orders: 503 from the receiver", "shopify: signature failures", "order.created:
schema violations at /lines/0/price".

Which issue a failure belongs to is a pure decision (`delivery_issue`, `inbound_issue`). The
`Issues` service counts failures on their live issue in the store, opens one when there is
none, and resolves a scope's issues on its next success, raising ``hub.issue.opened`` and
``hub.issue.resolved`` through ingest like any operational event. It keeps the scopes with
live issues in memory, so a success where nothing is wrong costs a set look-up, no write.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from hub.clock import to_rfc3339
from hub.errors import RequestError, SchemaViolation, StoreUnavailable
from hub.model import Issue, IssueKey, IssueStatus
from hub.store.base import AuditAndIssues

log = logging.getLogger("hub.issues")

Emitter = Callable[[str, dict[str, Any], str], Awaitable[None]]

# Refusals named as an operator would say them; any other is named by its problem title.
PHRASES = {
    "invalid-signature": "signature failures",
    "unauthorized": "missing or invalid credentials",
    "stale-timestamp": "timestamps outside the tolerance",
    "malformed-json": "malformed JSON",
}
_INDEX = re.compile(r"^/(events/\d+/)?data")


def delivery_issue(subscription_id: str, status_code: int | None, error: str | None) -> IssueKey:
    """A failed attempt's issue: one per subscription and answer (a status, or a kind of
    network error such as ``timeout`` or ``connect failed``)."""
    if status_code is not None:
        return IssueKey("delivery", subscription_id, str(status_code),
                        f"{subscription_id}: {status_code} from the receiver")  # fmt: skip
    kind = (error or "no answer").split(":", 1)[0][:60]
    return IssueKey("delivery", subscription_id, kind, f"{subscription_id}: {kind}")


def inbound_issue(connector: str, exc: RequestError) -> IssueKey:
    """A refusal's issue: one per connector and reason; a schema violation, one per event
    type and the first place at fault."""
    if isinstance(exc, SchemaViolation) and exc.event_type and exc.violations:
        pointer = _INDEX.sub("", exc.violations[0].pointer) or "/"
        scope = f"{connector}/{exc.event_type}"
        return IssueKey("schema", scope, pointer,
                        f"{exc.event_type}: schema violations at {pointer}")  # fmt: skip
    phrase = PHRASES.get(exc.slug, exc.title.lower())
    return IssueKey("inbound", connector, exc.slug, f"{connector}: {phrase}")


def issue_data(issue: Issue) -> dict[str, Any]:
    """The data of a ``hub.issue.*`` event, and the API's rendering of an issue."""
    return {
        "issue_id": issue.id, "kind": issue.kind, "scope": issue.scope, "title": issue.title,
        "status": str(issue.status), "count": issue.count,
        "first_seen": to_rfc3339(issue.first_seen), "last_seen": to_rfc3339(issue.last_seen),
        "detail": issue.detail,
    }  # fmt: skip


class Issues:
    """Opens, counts and resolves issues; one per hub, started with the app."""

    def __init__(self, store: AuditAndIssues, clock: Callable[[], float]) -> None:
        self._store = store
        self._clock = clock
        self._emitter: Emitter | None = None
        self._live: set[tuple[str, str]] = set()  # (kind, scope) with an issue open

    async def load(self) -> None:
        self._live = {(i.kind, i.scope) for i in await self._store.live_issues()}

    @property
    def any_live(self) -> bool:
        """Whether any issue is live: without one, a success has nothing to resolve (the
        ingest path asks this before it pays for a coroutine)."""
        return bool(self._live)

    def emit_with(self, emitter: Emitter) -> None:
        self._emitter = emitter

    async def failed(self, key: IssueKey, detail: str | None) -> None:
        """Count a failure; the first of its kind opens an issue and says so."""
        try:
            opened = await self._store.note_issue(key, self._clock(), detail)
        except StoreUnavailable as exc:
            log.error("could not count a failure on its issue: %s", exc.detail)
            return
        self._live.add((key.kind, key.scope))
        if opened is not None:
            log.warning("issue opened: %s", opened.title, extra={"issue_id": opened.id})
            await self._emit("hub.issue.opened", opened)

    async def recovered(self, kinds: tuple[str, ...], scope: str) -> None:
        """A success in a scope resolves its live issues of these kinds."""
        wanted = [kind for kind in kinds if (kind, scope) in self._live]
        if not wanted:
            return
        try:
            done = await self._store.resolve_issues(wanted, scope, self._clock())
        except StoreUnavailable as exc:
            log.error("could not resolve the issues of %s: %s", scope, exc.detail)
            return
        self._live.difference_update((kind, scope) for kind in wanted)
        for issue in done:
            log.info("issue resolved: %s", issue.title, extra={"issue_id": issue.id})
            await self._emit("hub.issue.resolved", issue)

    async def set_status(self, issue_id: str, status: IssueStatus) -> Issue | None:
        """An admin acknowledges or resolves an issue (or reopens one by acknowledging it)."""
        issue = await self._store.set_issue_status(issue_id, status, self._clock())
        if issue is not None and status is IssueStatus.RESOLVED:
            await self.load()
            await self._emit("hub.issue.resolved", issue)
        elif issue is not None:
            self._live.add((issue.kind, issue.scope))
        return issue

    async def _emit(self, event_type: str, issue: Issue) -> None:
        if self._emitter is None:
            return
        try:
            await self._emitter(event_type, issue_data(issue), f"issue/{issue.id}")
        except StoreUnavailable:
            log.exception("could not record the operational event %s", event_type)
