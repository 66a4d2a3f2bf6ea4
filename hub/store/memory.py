"""An in-memory `Store` for unit tests: the same behaviour as SQLite, nothing durable."""

from __future__ import annotations

from dataclasses import replace

from hub.errors import Conflict
from hub.health import Health
from hub.model import (
    Attempt,
    AttemptRecord,
    Delivery,
    DeliveryFilter,
    DeliveryJob,
    DeliveryStatus,
    Event,
    EventFilter,
    IngestResult,
    Page,
    Receipt,
    ReceiptStatus,
    Rejection,
)
from hub.store.base import MAX_PAGE, check_cursor, newest_first, not_waiting
from hub.store.memory_audit import MemoryAudit
from hub.store.memory_issues import MemoryIssues
from hub.store.memory_search import MemorySearch
from hub.store.memory_state import MemoryState


def _wanted(d: Delivery, where: DeliveryFilter) -> bool:
    return (
        (where.status is None or d.status == where.status)
        and (where.subject is None or d.subject == where.subject)
        and (where.subscription_id is None or d.subscription_id == where.subscription_id)
        and (where.subscription_ids is None or d.subscription_id in where.subscription_ids)
        and (where.event_type is None or d.event_type == where.event_type)
        and (where.event_id is None or d.event_id == where.event_id)
        and (where.since is None or d.created_at >= where.since)
    )


class MemoryStore(MemoryState, MemoryAudit, MemoryIssues, MemorySearch):
    """`Store` held in dictionaries."""

    def __init__(self) -> None:
        self._state_init()
        self._audit_init()
        self._issues_init()
        self.senders: dict[tuple[str, str], list[str]] = {}
        self.receipts: dict[str, Receipt] = {}
        self.receipt_events: dict[str, list[str]] = {}
        self.events: dict[str, Event] = {}
        self.deliveries: dict[str, Delivery] = {}
        self.leases: dict[str, float] = {}
        self.attempts: dict[str, list[Attempt]] = {}
        self.rejections: dict[str, Rejection] = {}
        self.inactive: dict[str, str] = {}
        self.meta: dict[str, str] = {}
        self.documents: dict[tuple[str, str], str] = {}
        self.health: dict[str, Health] = {}

    async def open(self) -> None:
        self.leases.clear()

    async def close(self) -> None:
        return None

    async def ping(self) -> None:
        return None

    async def find_receipt(self, connector: str, sender_id: str) -> list[str] | None:
        return self.senders.get((connector, sender_id))

    async def ingest(
        self, receipt: Receipt, events: list[Event], deliveries: list[Delivery]
    ) -> IngestResult:
        if receipt.sender_id is not None:
            key = (receipt.connector, receipt.sender_id)
            if key in self.senders:
                return IngestResult(self.senders[key], duplicate=True)
            self.senders[key] = [e.id for e in events]
        # Kept as given; `event_ids` is filled in when read, off the ingest path.
        self.receipts[receipt.id] = receipt
        self.receipt_events[receipt.id] = [e.id for e in events]
        self.events.update({e.id: e for e in events})
        await self.add_deliveries(deliveries)
        return IngestResult([e.id for e in events], duplicate=False)

    async def put_document(self, kind: str, doc_id: str, doc: str) -> None:
        self.documents[(kind, doc_id)] = doc

    async def delete_document(self, kind: str, doc_id: str) -> bool:
        return self.documents.pop((kind, doc_id), None) is not None

    async def list_documents(self, kind: str) -> list[tuple[str, str]]:
        return sorted((i, d) for (k, i), d in self.documents.items() if k == kind)

    async def events_after(self, cursor: str | None, limit: int) -> list[Event]:
        after = check_cursor(cursor) or ""
        return sorted((e for e in self.events.values() if e.id > after), key=lambda e: e.id)[
            : min(limit, MAX_PAGE)
        ]

    async def get_receipt(self, receipt_id: str) -> Receipt | None:
        receipt = self.receipts.get(receipt_id)
        return None if receipt is None else self._complete(receipt)

    def _complete(self, receipt: Receipt) -> Receipt:
        return replace(receipt, event_ids=self.receipt_events.get(receipt.id, []))

    async def list_receipts(
        self, status: ReceiptStatus, cursor: str | None, limit: int
    ) -> Page[Receipt]:
        matching = [self._complete(r) for r in self.receipts.values() if r.status == status]
        return newest_first(matching, cursor, limit)

    async def resolve_receipt(
        self, receipt_id: str, events: list[Event], deliveries: list[Delivery]
    ) -> bool:
        receipt = self.receipts.get(receipt_id)
        if receipt is None or receipt.status != ReceiptStatus.QUARANTINED:
            return False
        ids = [e.id for e in events]
        self.receipts[receipt_id] = replace(receipt, status=ReceiptStatus.REPROCESSED, reason=None)
        self.receipt_events[receipt_id] = ids
        if receipt.sender_id is not None:
            self.senders[(receipt.connector, receipt.sender_id)] = ids
        self.events.update({e.id: e for e in events})
        await self.add_deliveries(deliveries)
        return True

    async def add_rejection(self, rejection: Rejection, keep: int) -> None:
        self.rejections[rejection.id] = rejection
        for old in sorted(self.rejections)[: max(0, len(self.rejections) - keep)]:
            del self.rejections[old]

    async def list_rejections(self, cursor: str | None, limit: int) -> Page[Rejection]:
        return newest_first(list(self.rejections.values()), cursor, limit)

    async def claim(self, now: float, limit: int, lease_until: float) -> list[DeliveryJob]:
        due = sorted(
            (
                d
                for d in self.deliveries.values()
                if d.status == DeliveryStatus.PENDING
                and d.id not in self.leases
                and (d.next_attempt_at or 0) <= now
            ),
            key=lambda d: (d.next_attempt_at or 0, d.id),
        )[:limit]
        for d in due:
            self.leases[d.id] = lease_until
        return [DeliveryJob(d, self.events[d.event_id]) for d in due]

    async def claim_subscription(
        self, subscription_id: str, due_by: float, limit: int, lease_until: float
    ) -> list[DeliveryJob]:
        due = sorted(
            (
                d
                for d in self.deliveries.values()
                if d.subscription_id == subscription_id
                and d.status == DeliveryStatus.PENDING
                and d.id not in self.leases
                and (d.next_attempt_at or 0) <= due_by
            ),
            key=lambda d: d.id,
        )[:limit]
        for d in due:
            self.leases[d.id] = lease_until
        return [DeliveryJob(d, self.events[d.event_id]) for d in due]

    async def hold_ordered(
        self, delivery_id: str, subscription_id: str, subject: str, now: float, recheck: float
    ) -> bool:
        earlier = [d for d in self._subject_pending(subscription_id, subject) if d.id < delivery_id]
        if not earlier:
            return False
        self.leases.pop(delivery_id, None)
        until = max(earlier[0].next_attempt_at or now, now) + recheck
        self.deliveries[delivery_id] = replace(self.deliveries[delivery_id], next_attempt_at=until)
        return True

    async def subscription_health(self) -> dict[str, Health]:
        return dict(self.health)

    async def record(self, record: AttemptRecord) -> None:
        a = record.attempt
        if record.subscription_id is not None:
            current = self.health.get(record.subscription_id, Health())
            self.health[record.subscription_id] = current.after(record.succeeded, a.attempted_at)
        self.attempts.setdefault(a.delivery_id, []).append(a)
        old = self.deliveries[a.delivery_id]
        self.deliveries[a.delivery_id] = replace(
            old,
            status=record.status,
            next_attempt_at=record.next_attempt_at,
            retry_index=record.retry_index,
            attempts=old.attempts + 1,
            last_status_code=a.status_code,
            last_error=a.error or record.disable_reason,
            updated_at=a.attempted_at,
        )
        self.leases.pop(a.delivery_id, None)
        if record.release_subject is not None and record.subscription_id is not None:
            for d in self._subject_pending(record.subscription_id, record.release_subject):
                if d.id not in self.leases and (d.next_attempt_at or 0) > a.attempted_at:
                    self.deliveries[d.id] = replace(d, next_attempt_at=a.attempted_at)
        if record.disable_subscription is not None:
            await self.set_subscription_active(
                record.disable_subscription, False, record.disable_reason or "", a.attempted_at
            )

    async def release(self, delivery_ids: list[str]) -> None:
        for delivery_id in delivery_ids:
            self.leases.pop(delivery_id, None)

    def _subject_pending(self, subscription_id: str, subject: str) -> list[Delivery]:
        return sorted(
            (d for d in self.deliveries.values()
             if d.subscription_id == subscription_id and d.status == DeliveryStatus.PENDING
             and self.events[d.event_id].subject == subject),
            key=lambda d: d.id,
        )  # fmt: skip

    async def blocked_subjects(
        self, subscription_id: str, limit: int
    ) -> list[tuple[str, str, int]]:
        subjects = {
            self.events[d.event_id].subject for d in self.deliveries.values()
            if d.subscription_id == subscription_id and d.status == DeliveryStatus.PENDING
        } - {None}  # fmt: skip
        found = []
        for subject in subjects:
            pending = self._subject_pending(subscription_id, str(subject))
            if len(pending) > 1:
                found.append((str(subject), pending[0].id, len(pending) - 1))
        return sorted(found, key=lambda f: f[1])[:limit]

    async def postpone(self, delivery_ids: list[str], until: float) -> None:
        for delivery_id in delivery_ids:
            self.leases.pop(delivery_id, None)
            d = self.deliveries.get(delivery_id)
            if d is not None and d.status == DeliveryStatus.PENDING:
                self.deliveries[delivery_id] = replace(d, next_attempt_at=until)

    async def reschedule(self, subscription_id: str, at: float) -> int:
        found = [
            d for d in self.deliveries.values()
            if d.subscription_id == subscription_id and d.status == DeliveryStatus.PENDING
            and d.id not in self.leases
        ]  # fmt: skip
        for d in found:
            self.deliveries[d.id] = replace(d, next_attempt_at=at)
        return len(found)

    async def release_expired(self, now: float) -> int:
        expired = [d for d, until in self.leases.items() if until < now]
        await self.release(expired)
        return len(expired)

    async def backlog(self) -> tuple[int, float | None]:
        pending = [d for d in self.deliveries.values() if d.status == DeliveryStatus.PENDING]
        oldest = min(pending, key=lambda d: d.id, default=None)
        return len(pending), None if oldest is None else oldest.created_at

    async def next_due(self) -> float | None:
        due = [
            d.next_attempt_at
            for d in self.deliveries.values()
            if d.status == DeliveryStatus.PENDING
            and d.id not in self.leases
            and d.next_attempt_at is not None
        ]
        return min(due, default=None)

    async def disabled_subscriptions(self) -> list[str]:
        return sorted(self.inactive)

    async def set_subscription_active(
        self, subscription_id: str, active: bool, reason: str, now: float
    ) -> None:
        if active:
            self.inactive.pop(subscription_id, None)
            return
        self.inactive[subscription_id] = reason
        for d in list(self.deliveries.values()):
            if (
                d.subscription_id == subscription_id
                and d.status == DeliveryStatus.PENDING
                and d.id not in self.leases
            ):
                self.deliveries[d.id] = replace(
                    d,
                    status=DeliveryStatus.FAILED,
                    next_attempt_at=None,
                    last_error=f"subscription disabled: {reason}",
                    updated_at=now,
                )

    async def get_event(self, event_id: str) -> Event | None:
        return self.events.get(event_id)

    async def list_events(self, where: EventFilter, cursor: str | None, limit: int) -> Page[Event]:
        found = [
            e
            for e in self.events.values()
            if (where.type is None or e.type == where.type)
            and (where.subject is None or e.subject == where.subject)
            and (where.connector is None or e.connector == where.connector)
            and (where.company is None or e.company == where.company)
            and (where.since is None or e.time >= where.since)
            and (where.until is None or e.time < where.until)
        ]
        return newest_first(found, cursor, limit)

    def _listed(self, d: Delivery) -> Delivery:
        event = self.events.get(d.event_id)
        return replace(d, subject=event.subject if event is not None else None)

    def _matching(self, where: DeliveryFilter) -> list[Delivery]:
        listed = (self._listed(d) for d in self.deliveries.values())
        return [d for d in listed if _wanted(d, where) and self._due_after(d, where.due_after)]

    def _due_after(self, d: Delivery, after: float | None) -> bool:
        return after is None or (
            self._waiting(d) and d.next_attempt_at is not None and d.next_attempt_at > after
        )

    async def get_delivery(self, delivery_id: str) -> Delivery | None:
        found = self.deliveries.get(delivery_id)
        return None if found is None else self._listed(found)

    async def list_deliveries(
        self, where: DeliveryFilter, cursor: str | None, limit: int
    ) -> Page[Delivery]:
        return newest_first(self._matching(where), cursor, limit)

    async def count_deliveries(self, where: DeliveryFilter) -> int:
        return len(self._matching(where))

    async def list_attempts(self, delivery_id: str) -> list[Attempt]:
        return list(self.attempts.get(delivery_id, []))

    async def add_deliveries(self, deliveries: list[Delivery]) -> None:
        self.deliveries.update({d.id: d for d in deliveries})

    def _requeue(self, d: Delivery, now: float) -> Delivery:
        fresh = replace(
            d, status=DeliveryStatus.PENDING, next_attempt_at=now, retry_index=0, updated_at=now
        )
        self.deliveries[d.id] = fresh
        return fresh

    async def replay(self, delivery_id: str, now: float) -> Delivery | None:
        d = self.deliveries.get(delivery_id)
        if d is None:
            return None
        if d.status == DeliveryStatus.PENDING:
            raise Conflict(f"delivery {delivery_id} is already pending")
        return self._requeue(d, now)

    async def replay_many(self, where: DeliveryFilter, now: float, limit: int) -> int:
        chosen = sorted(
            (d for d in self._matching(where) if d.status != DeliveryStatus.PENDING),
            key=lambda d: d.id,
        )[:limit]
        for d in chosen:
            self._requeue(self.deliveries[d.id], now)
        return len(chosen)

    def _waiting(self, d: Delivery) -> bool:
        return d.status == DeliveryStatus.PENDING and d.id not in self.leases

    async def retry_now(self, delivery_id: str, now: float) -> Delivery | None:
        d = self.deliveries.get(delivery_id)
        if d is None:
            return None
        if not self._waiting(d):
            raise Conflict(not_waiting(d, d.id in self.leases))
        self.deliveries[d.id] = replace(d, next_attempt_at=now, updated_at=now)
        return self._listed(self.deliveries[d.id])

    async def retry_now_many(self, where: DeliveryFilter, now: float, limit: int) -> int:
        waiting = replace(where, due_after=now)
        chosen = sorted(self._matching(waiting), key=lambda d: d.id)[:limit]
        for d in chosen:
            self.deliveries[d.id] = replace(self.deliveries[d.id], next_attempt_at=now)
        return len(chosen)

    async def get_meta(self, key: str) -> str | None:
        return self.meta.get(key)

    async def set_meta(self, key: str, value: str) -> None:
        self.meta[key] = value
