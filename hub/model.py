"""Domain values shared by ingest, the store, the worker and the admin API."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class DeliveryStatus(StrEnum):
    """Where a delivery stands. `failed` is the dead letter: kept until replayed."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class SubscriptionState(StrEnum):
    """Where a subscription stands. Only `active` ones receive; `paused` ones keep their
    deliveries pending until resumed; `pending_validation` ones get nothing until their target
    consents; `disabled` ones (410 Gone, an admin) fail what is pending."""

    ACTIVE = "active"
    PAUSED = "paused"
    PENDING_VALIDATION = "pending_validation"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class CanonicalEvent:
    """A business event as a connector maps it, before the hub stores it.

    Attributes:
        type: catalog event type, e.g. ``order.created``.
        time: when it happened at the source, Unix seconds.
        data: the payload, validated against ``schemas/<type>.json``.
        subject: what it is about, e.g. ``order/1001``.
        company: company or legal entity, when known.
        store: the storefront, shop or tenant that sent it, for the company policy.
    """

    type: str
    time: float
    data: dict[str, Any]
    subject: str | None = None
    company: str | None = None
    store: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """A stored canonical event."""

    id: str
    type: str
    source: str
    connector: str
    time: float
    received_at: float
    data_json: str
    subject: str | None = None
    company: str | None = None
    schema_version: str | None = None
    receipt_id: str | None = None


class ReceiptStatus(StrEnum):
    """What became of an acknowledged request.

    `quarantined` receipts produced no events yet: their company could not be resolved. They
    keep the headers and query they arrived with, so they can be re-processed.
    """

    PROCESSED = "processed"
    IGNORED = "ignored"
    QUARANTINED = "quarantined"
    REPROCESSED = "reprocessed"


@dataclass(frozen=True, slots=True)
class Receipt:
    """One accepted inbound request, keyed for duplicate detection."""

    id: str
    connector: str
    sender_id: str | None
    received_at: float
    body: bytes
    status: ReceiptStatus = ReceiptStatus.PROCESSED
    reason: str | None = None
    headers: dict[str, str] | None = None
    query: dict[str, str] | None = None
    event_ids: list[str] = field(default_factory=list)
    request_id: str | None = None  # X-Request-Id of the request that brought it


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event owed to one subscription."""

    id: str
    event_id: str
    subscription_id: str
    event_type: str
    status: DeliveryStatus
    created_at: float
    next_attempt_at: float | None
    attempts: int = 0
    retry_index: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    updated_at: float | None = None
    # The event's subject, filled in by listings (deliveries do not store it themselves).
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """The record of one HTTP attempt."""

    id: str
    delivery_id: str
    attempted_at: float
    duration_ms: float
    status_code: int | None
    response_body: str | None
    error: str | None
    # A failed answer's headers, credentials masked (a success's are not kept: they cost
    # every delivery and tell an admin nothing).
    response_headers: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """A refused inbound request, kept for admins with secrets redacted."""

    id: str
    connector: str
    received_at: float
    status: int
    reason: str
    detail: str
    headers: dict[str, str]
    body: bytes
    body_size: int
    errors: list[dict[str, str]] = field(default_factory=list)
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What the store answers to an ingest: the event ids, and whether it was a repeat."""

    event_ids: list[str]
    duplicate: bool


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """A claimed delivery with what the worker needs to send it."""

    delivery: Delivery
    event: Event


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """An attempt and the delivery's next state, written back together."""

    attempt: Attempt
    status: DeliveryStatus
    next_attempt_at: float | None
    retry_index: int
    disable_subscription: str | None = None
    disable_reason: str | None = None
    # Set for attempts that reached the endpoint (or tried to): they count toward its health.
    subscription_id: str | None = None
    succeeded: bool = False
    # An ordered subscription's head that is done (delivered or dead-lettered): the subject's
    # deliveries held behind it become due in the same write, so no crash can strand them.
    release_subject: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    """Admin filters over deliveries; `None` means any."""

    status: DeliveryStatus | None = None
    subscription_id: str | None = None
    event_type: str | None = None
    event_id: str | None = None
    since: float | None = None
    subject: str | None = None
    # Pending deliveries waiting for a time after this one (a backoff), not being attempted.
    due_after: float | None = None
    # Only deliveries of these subscriptions (a bulk action skips deleted or disabled ones).
    subscription_ids: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Admin filters over events; `None` means any."""

    type: str | None = None
    subject: str | None = None
    since: float | None = None
    until: float | None = None
    connector: str | None = None
    company: str | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing, newest first; pass `next_cursor` back to continue."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class BusinessObject:
    """An order, customer, vendor, product or purchase order, as every system has told of it.

    Attributes:
        key: what it is shown by (its first event's subject key).
        status, state, reason: where its rules have it, and since when (`since`).
        facts: the latest known values of the fields people ask about.
        sources: per connector, the last position applied (`hub.state.facts.source_order`).
        aliases: every ``system.kind:id`` it is known by.
    """

    id: str
    type: str
    key: str
    status: str
    state: str
    reason: str
    since: float
    created_at: float
    updated_at: float
    company: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, list[Any]] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of an object's logbook: a transition tried, and what came of it."""

    id: str
    object_id: str
    at: float
    trigger: str  # the event type, or "manual"
    outcome: str
    from_status: str | None
    to_status: str | None
    message: str | None = None
    event_id: str | None = None  # the event that triggered it
    created_by: str | None = None  # the connector or token behind it


@dataclass(frozen=True, slots=True)
class ObjectDeadline:
    """An overdue event owed if the object is still in `status` at `due_at`."""

    object_id: str
    status: str
    since: float
    due_at: float
    emit: str


@dataclass(frozen=True, slots=True)
class ObjectFilter:
    """Filters over business objects; `None` means any."""

    type: str | None = None
    status: str | None = None
    state: str | None = None
    company: str | None = None
    overdue_at: float | None = None  # with a deadline passed at this time
    text: str | None = None  # an alias, or text in the facts
    alias: str | None = None  # an alias only: an indexed look-up, for search


@dataclass(frozen=True, slots=True)
class StateChange:
    """What applying one event (or one manual transition) does, written in one transaction.

    The cursor moves from `cursor_from` to `cursor_to` in the same commit, so an event is
    applied exactly once, across crashes; a manual change leaves the cursor alone (None).
    """

    cursor_from: str | None
    cursor_to: str | None
    objects: list[BusinessObject] = field(default_factory=list)
    # A rebuild: every object of these types goes first, with all that is kept of it.
    replace_types: tuple[str, ...] = ()
    removed: list[str] = field(default_factory=list)  # objects merged into another
    log: list[LogEntry] = field(default_factory=list)
    timeline: list[tuple[str, str]] = field(default_factory=list)  # (object id, event id)
    deadlines: list[ObjectDeadline] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)  # objects whose deadline is cancelled
    fired: list[str] = field(default_factory=list)  # objects whose deadline was raised
    receipt: Receipt | None = None  # the status events and their deliveries, if any
    events: list[Event] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One admin action: who, what, when and from where.

    Attributes:
        actor_id: the token's id, or ``admin`` for the admin token.
        action: the name of the handler that acted (``rotate_secret``).
        target: the ids in the path (``{"id": "sub_…"}``).
        status: the HTTP status the action answered; refusals are kept too.
        via: ``api`` or ``cli`` (the console, when it comes, adds ``console``).
        remote: the caller's address.
    """

    id: str
    at: float
    actor_id: str
    actor_name: str
    action: str
    method: str
    path: str
    target: dict[str, str]
    status: int
    via: str
    remote: str | None = None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Filters over the audit trail; `None` means any."""

    actor_id: str | None = None
    action: str | None = None
    since: float | None = None
    until: float | None = None


class IssueStatus(StrEnum):
    """Where an issue stands; acknowledged ones still count as open until resolved."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class IssueKey:
    """What groups failures into one issue: a kind, a scope and a class within it.

    Attributes:
        kind: ``delivery`` (scope: a subscription), ``inbound`` or ``schema`` (a connector).
        group: the class of failure within the scope (``503``, ``invalid-signature``,
            ``order.created /lines/0/price``).
    """

    kind: str
    scope: str
    group: str
    title: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.scope}:{self.group}"


@dataclass(frozen=True, slots=True)
class Issue:
    """Failures of one kind, counted as one item an admin can act on."""

    id: str
    key: str
    kind: str
    scope: str
    title: str
    status: IssueStatus
    count: int
    first_seen: float
    last_seen: float
    detail: str | None = None
    resolved_at: float | None = None
