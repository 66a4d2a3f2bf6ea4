"""The store's domain-level interface, shared by every backend, in parts by who calls them:
`IngestStore`, `DeliveryQueue` (with `Documents`, the worker's `WorkerStore`), `AdminQueries`,
`Documents`, `AuditAndIssues`, `TextIndex` and `BusinessState`; `Store` is all of them.

Callers speak only these interfaces, so a PostgreSQL store can follow the SQLite one without
touching them. Every write is durable when its coroutine returns; a backend that
cannot commit raises `StoreUnavailable`, never a driver error.
"""

from __future__ import annotations

import re
from typing import Protocol, TypeVar

from hub.errors import InvalidParameter
from hub.health import Health
from hub.model import (
    Attempt,
    AttemptRecord,
    AuditEntry,
    AuditFilter,
    BusinessObject,
    Delivery,
    DeliveryFilter,
    DeliveryJob,
    Event,
    EventFilter,
    IngestResult,
    Issue,
    IssueKey,
    IssueStatus,
    LogEntry,
    ObjectDeadline,
    ObjectFilter,
    Page,
    Receipt,
    ReceiptStatus,
    Rejection,
    StateChange,
)

CURSOR = re.compile(r"^[a-z]{2,4}_[0-9a-f]{32}$")
MAX_PAGE = 500


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)


def page(items: list[T], limit: int) -> Page[T]:
    """Cut a list fetched with ``limit + 1`` rows into a page and its next cursor."""
    more = len(items) > limit
    items = items[:limit]
    return Page(items, str(items[-1].id) if more else None)


def check_cursor(cursor: str | None) -> str | None:
    """Validate an opaque cursor (the id of the last item seen).

    Raises:
        InvalidParameter: it is not a cursor this hub issued.
    """
    if cursor is not None and not CURSOR.match(cursor):
        raise InvalidParameter(f"cursor {cursor[:40]!r} is not valid")
    return cursor


def not_waiting(delivery: Delivery, leased: bool) -> str:
    """Why a delivery cannot be made due now: it is in flight, or it is not pending."""
    if leased:
        return f"delivery {delivery.id} is being attempted right now"
    return f"delivery {delivery.id} is {delivery.status}, not waiting; replay it instead"


class Lifecycle(Protocol):
    """Opening, closing and checking a store."""

    async def open(self) -> None:
        """Create the schema if needed and get ready to serve."""

    async def close(self) -> None:
        """Finish pending writes and release resources."""

    async def ping(self) -> None:
        """Raise `StoreUnavailable` unless the store answers a read."""


class IngestStore(Protocol):
    """What ingest writes and reads: receipts, their events and deliveries, rejections."""

    async def find_receipt(self, connector: str, sender_id: str) -> list[str] | None:
        """Event ids of an earlier receipt with this sender id, if any."""

    async def ingest(
        self, receipt: Receipt, events: list[Event], deliveries: list[Delivery]
    ) -> IngestResult:
        """Commit a receipt with its events and deliveries, or report the original on a repeat."""

    async def get_receipt(self, receipt_id: str) -> Receipt | None: ...

    async def list_receipts(
        self, status: ReceiptStatus, cursor: str | None, limit: int
    ) -> Page[Receipt]:
        """Receipts in one status (quarantined, ignored, reprocessed), newest first."""

    async def resolve_receipt(
        self, receipt_id: str, events: list[Event], deliveries: list[Delivery]
    ) -> bool:
        """Commit a quarantined receipt's events and deliveries and mark it reprocessed.

        Returns False when the receipt is no longer quarantined (it was resolved already).
        """

    async def add_rejection(self, rejection: Rejection, keep: int) -> None:
        """Keep a refused request, dropping the oldest beyond `keep`."""

    async def list_rejections(self, cursor: str | None, limit: int) -> Page[Rejection]: ...


class DeliveryQueue(Protocol):
    """What the delivery worker may touch: claims, attempts, holds, subscription states."""

    async def claim(self, now: float, limit: int, lease_until: float) -> list[DeliveryJob]:
        """Lease up to `limit` due pending deliveries, oldest due first."""

    async def record(self, record: AttemptRecord) -> None:
        """Write an attempt and its delivery's next state, ending the lease."""

    async def release(self, delivery_ids: list[str]) -> None:
        """End leases without an attempt (shutdown), so another run picks them up."""

    async def claim_subscription(
        self, subscription_id: str, due_by: float, limit: int, lease_until: float
    ) -> list[DeliveryJob]:
        """Lease up to `limit` of a subscription's pending deliveries that are due by `due_by`,
        in acceptance order: what a batch gathers beyond the claim that found it."""

    async def hold_ordered(
        self, delivery_id: str, subscription_id: str, subject: str, now: float, recheck: float
    ) -> bool:
        """Hold a leased delivery back if an earlier pending one of its subject exists: it is
        released, due again `recheck` seconds after that head is due (the head's end makes it
        due sooner). Returns False, changing nothing, when there is no such head.

        The look and the hold are one write, serialized with the head's own attempt record,
        which releases what waits behind it (`AttemptRecord.release_subject`) in the same
        write: a head that ends in between, or a crash after it ends, can never leave its
        followers held.
        """

    async def blocked_subjects(
        self, subscription_id: str, limit: int
    ) -> list[tuple[str, str, int]]:
        """Subjects with deliveries waiting behind a pending head: (subject, head id, waiting)."""

    async def postpone(self, delivery_ids: list[str], until: float) -> None:
        """Release leased pending deliveries without an attempt, due again at `until`."""

    async def reschedule(self, subscription_id: str, at: float) -> int:
        """Make a subscription's pending, unleased deliveries due at `at` (on resume)."""

    async def release_expired(self, now: float) -> int:
        """End leases that ran out (a crashed worker's claims); returns how many."""

    async def backlog(self) -> tuple[int, float | None]:
        """Pending deliveries: how many, and when the oldest of them was created."""

    async def next_due(self) -> float | None:
        """When the earliest unleased pending delivery is due."""

    async def disabled_subscriptions(self) -> list[str]: ...

    async def subscription_health(self) -> dict[str, Health]:
        """Each subscription's last success and current run of failures."""

    async def set_subscription_active(
        self, subscription_id: str, active: bool, reason: str, now: float
    ) -> None:
        """Enable or disable a subscription; disabling fails its unleased pending deliveries."""


class AdminQueries(Protocol):
    """What the API reads and changes for admins: events, deliveries, replays, documents."""

    async def get_event(self, event_id: str) -> Event | None: ...

    async def list_events(
        self, where: EventFilter, cursor: str | None, limit: int
    ) -> Page[Event]: ...

    async def events_after(self, cursor: str | None, limit: int) -> list[Event]:
        """Events after a cursor (an event id), oldest first: the pull feed."""

    async def get_delivery(self, delivery_id: str) -> Delivery | None: ...

    async def list_deliveries(
        self, where: DeliveryFilter, cursor: str | None, limit: int
    ) -> Page[Delivery]: ...

    async def list_attempts(self, delivery_id: str) -> list[Attempt]: ...

    async def add_deliveries(self, deliveries: list[Delivery]) -> None: ...

    async def replay(self, delivery_id: str, now: float) -> Delivery | None:
        """Queue a non-pending delivery for a fresh round of attempts; None if unknown.

        Raises:
            Conflict: the delivery is already pending.
        """

    async def replay_many(self, where: DeliveryFilter, now: float, limit: int) -> int:
        """Queue up to `limit` non-pending deliveries matching the filter; returns how many."""

    async def retry_now(self, delivery_id: str, now: float) -> Delivery | None:
        """Make a pending delivery that waits out a backoff due now; None if unknown.

        Raises:
            Conflict: it is not pending, or it is being attempted.
        """

    async def retry_now_many(self, where: DeliveryFilter, now: float, limit: int) -> int:
        """Make up to `limit` matching pending deliveries that wait for a later time due now."""

    async def count_deliveries(self, where: DeliveryFilter) -> int: ...


class Documents(Protocol):
    """Configuration kept in the store: API subscriptions, tokens, partners (documents by
    kind and id), and small values such as the admin token's hash (meta)."""

    async def get_meta(self, key: str) -> str | None: ...

    async def put_document(self, kind: str, doc_id: str, doc: str) -> None:
        """Keep a JSON document (an API subscription, a token) by kind and id, replacing it."""

    async def delete_document(self, kind: str, doc_id: str) -> bool:
        """Drop a document; False when there was none."""

    async def list_documents(self, kind: str) -> list[tuple[str, str]]:
        """Every ``(id, document)`` of a kind, by id."""

    async def set_meta(self, key: str, value: str) -> None: ...


class AuditAndIssues(Protocol):
    """The audit trail of admin actions, and failures grouped into issues."""

    async def add_audit(self, entry: AuditEntry) -> None:
        """Keep one admin action."""

    async def list_audit(
        self, where: AuditFilter, cursor: str | None, limit: int
    ) -> Page[AuditEntry]:
        """Admin actions, newest first."""

    # issues: failures grouped into items an admin can act on

    async def note_issue(self, key: IssueKey, now: float, detail: str | None) -> Issue | None:
        """Count a failure on its live issue; with none, open one and return it."""

    async def resolve_issues(self, kinds: list[str], scope: str, now: float) -> list[Issue]:
        """Resolve the live issues of these kinds in a scope; returns those resolved."""

    async def set_issue_status(
        self, issue_id: str, status: IssueStatus, now: float
    ) -> Issue | None:
        """An admin's acknowledgement or resolution; None if there is no such issue."""

    async def get_issue(self, issue_id: str) -> Issue | None: ...

    async def list_issues(
        self, status: IssueStatus | None, cursor: str | None, limit: int
    ) -> Page[Issue]:
        """Issues, newest first."""

    async def live_issues(self) -> list[Issue]:
        """Open and acknowledged issues, oldest first."""


class TextIndex(Protocol):
    """Full-text search of event payloads, indexed behind ingest (`hub.store.indexer`)."""

    async def index_text(self, limit: int) -> int:
        """Index the next events not yet in the full-text index; how many (0: caught up)."""

    async def search_text(self, text: str, limit: int) -> list[Event]:
        """Events whose payload holds the text as a phrase, newest first."""


class BusinessState(Protocol):
    """Business state (`hub.state`): objects, aliases, logbook, timeline and deadlines."""

    async def state_cursor(self) -> str | None:
        """The id of the last event the state tracker applied."""

    async def objects_by_alias(self, aliases: list[str]) -> dict[str, str]:
        """Which object holds each of these aliases (only those some object holds)."""

    async def get_object(self, object_id: str) -> BusinessObject | None: ...

    async def holders(self, aliases: list[str]) -> list[BusinessObject]:
        """The objects holding any of these aliases, each once, in id order: one read for a
        whole batch of the tracker's events."""

    async def find_object(self, object_type: str, key: str) -> BusinessObject | None:
        """An object by its key, one of its aliases (``shopify.order_number:#1042``), or the id
        an alias names (``#1042``)."""

    async def list_objects(
        self, where: ObjectFilter, cursor: str | None, limit: int
    ) -> Page[BusinessObject]: ...

    async def apply_state(self, change: StateChange) -> bool:
        """Write a state change in one transaction: objects, aliases, logbook, timeline,
        deadlines, the status events with their deliveries, and the cursor.

        Returns False, writing nothing, when the cursor is no longer at `cursor_from` (the
        event was applied already).
        """

    async def kept_log(self, types: list[str]) -> list[LogEntry]:
        """The logbook lines of these types that the event log cannot give again: manual
        moves and raised deadlines, oldest first (a rebuild keeps them)."""
        ...

    async def logbook(self, object_id: str, limit: int) -> list[LogEntry]:
        """An object's logbook, newest first."""

    async def timeline(self, object_id: str, limit: int) -> list[Event]:
        """The events an object was told of, oldest first."""

    async def deadlines(self, object_id: str) -> list[ObjectDeadline]:
        """An object's pending deadline (at most one: it follows the status)."""

    async def due_deadlines(self, now: float, limit: int) -> list[ObjectDeadline]:
        """Deadlines passed and not yet raised, earliest first."""

    async def next_deadline(self) -> float | None:
        """When the earliest pending deadline falls due."""


class WorkerStore(DeliveryQueue, Documents, Protocol):
    """The delivery worker's: the queue, and the documents (a 410 Gone unsubscribes an API
    subscription)."""


class Store(
    Lifecycle, IngestStore, DeliveryQueue, AdminQueries, Documents, AuditAndIssues, TextIndex,
    BusinessState, Protocol,
):  # fmt: skip
    """Durable state: every part above, which each engine implements whole. Callers that
    touch one part are typed with it (the worker with `DeliveryQueue`), so a reader sees what
    each may reach."""
