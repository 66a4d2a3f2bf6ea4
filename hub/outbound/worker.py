"""The delivery worker: claims due deliveries from the store, sends them, writes back the outcome.

The schedule lives in the store (``next_attempt_at``), never in a coroutine: a restarted hub
picks up exactly where the last one stopped. The loop wakes on a notification (ingest just
committed, time was advanced in a test), on the earliest due time, or on the poll interval:
notifications make it fast, polling makes it certain.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from hub.background import BackgroundTask
from hub.clock import Clock, SystemClock, to_rfc3339
from hub.errors import StoreUnavailable
from hub.health import DEFAULT_DISABLE_AFTER, Health, should_disable
from hub.ids import new_id
from hub.model import (
    Attempt,
    AttemptRecord,
    DeliveryJob,
    DeliveryStatus,
    Event,
    SubscriptionState,
)
from hub.observe.issues import Issues, delivery_issue
from hub.observe.metrics import Metrics
from hub.observe.pacing import Pacer
from hub.outbound import batching, message
from hub.outbound.dispatch import Bucket, Gate, admit
from hub.outbound.retry import AttemptVerdict, RetryDecision, decide_retry, parse_retry_after
from hub.outbound.sender import Sender, SendError
from hub.outbound.subscriptions import Subscription, SubscriptionRegistry
from hub.store.base import WorkerStore
from hub.tally import Tally

log = logging.getLogger("hub.worker")

Emitter = Callable[[str, dict[str, Any], str], Awaitable[None]]
WAITING = (SubscriptionState.PAUSED, SubscriptionState.PENDING_VALIDATION)
HELD_RECHECK = 300.0  # seconds before a held delivery is looked at again, unless resumed
GATHER_BATCHES = 4  # a short batch gathers at most this many batches' worth of waiting ones
REFILL_DELAY = 0.05  # seconds a refill smaller than a chunk may wait for more free slots (measured)


def _scrubbed(text: str | None, subscription: Subscription) -> str:
    """An attempt's error or answer, cut short and naming the subscription by its id, never
    its URL: a URL can carry a credential (Logic Apps' sig)."""
    return (text or "")[:200].replace(subscription.url, f"<{subscription.id}>")


def _attempts(count: int) -> str:
    return f"{count} attempt" if count == 1 else f"{count} attempts"


_OUTCOME = {
    DeliveryStatus.SUCCEEDED: "delivered",
    DeliveryStatus.PENDING: "retrying",
    DeliveryStatus.FAILED: "failed",
}
_STATUS = {
    AttemptVerdict.SUCCEEDED: DeliveryStatus.SUCCEEDED,
    AttemptVerdict.RETRY: DeliveryStatus.PENDING,
    AttemptVerdict.FAILED: DeliveryStatus.FAILED,
    AttemptVerdict.GONE: DeliveryStatus.FAILED,
}


@dataclass(frozen=True)
class WorkerSettings:
    """How hard the worker pushes.

    Attributes:
        concurrency: attempts in flight at most.
        batch: deliveries claimed per store round trip.
        lease_seconds: how long a claim stays exclusive before another run may take it.
        poll_interval: longest idle wait between looks at the store.
        drain_seconds: on shutdown, how long in-flight attempts may finish before release.
        default_timeout: attempt timeout for subscriptions that set none.
        origin: the ``WebHook-Request-Origin`` sent to targets that consented to it.
        disable_after: seconds of nothing but failures before a subscription is disabled.
    """

    concurrency: int = 64
    batch: int = 100
    lease_seconds: float = 120.0
    poll_interval: float = 1.0
    drain_seconds: float = 10.0
    origin: str = "webhook-hub"
    disable_after: float = DEFAULT_DISABLE_AFTER
    default_timeout: float = 15.0


@dataclass(frozen=True)
class Trial:
    """What a test event got back from a subscription's endpoint."""

    event: Event
    status: int | None
    response: str | None
    error: str | None
    duration_ms: float

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class DeliveryWorker:
    """Runs deliveries until stopped; start and stop it from the app's lifespan."""

    def __init__(
        self,
        store: WorkerStore,
        registry: SubscriptionRegistry,
        sender: Sender,
        clock: Clock,
        settings: WorkerSettings,
        spread: Callable[[], float] = lambda: random.uniform(-1.0, 1.0),
        wall_clock: Clock | None = None,
        metrics: Metrics | None = None,
        issues: Issues | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self._store = store
        # Real time: it paces log lines, it schedules nothing.
        self._pacer = pacer or Pacer(time.monotonic)
        self._issues = issues
        self._metrics = metrics or Metrics(enabled=False)
        self._registry = registry
        self._sender = sender
        self._clock = clock
        self._settings = settings
        self._spread = spread
        # Receivers check webhook-timestamp against their own clock, so it is always wall time,
        # while scheduling follows the injectable clock.
        self._wall = wall_clock or SystemClock()
        # Operational events (hub.delivery.exhausted, ...) go through ingest, set at start-up.
        self._emitter: Emitter | None = None
        self._gates: dict[str, Gate] = {}
        self._recorded = Tally()
        self._handled = Tally()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._inflight: dict[asyncio.Task[None], list[str]] = {}
        # The tasks whose request is still out: what the concurrency bounds. A task whose
        # answer is in waits for its record's commit without holding a slot: holding slots
        # through a shared commit idled them (measured: twice the slots drained 18 % faster).
        self._sending: set[str] = set()  # each by its first delivery's id
        self.task = BackgroundTask("delivery", self._run, self._stopping)
        # Real time, not the injectable clock: it paces claims, it schedules nothing.
        self._last_claim = 0.0
        self._refill_at: float | None = None
        self.paused = False

    @property
    def alive(self) -> bool:
        """True while the main loop runs."""
        return self.task.alive

    @property
    def in_flight(self) -> int:
        """Requests being sent now (a batch is one)."""
        return len(self._sending)

    def emit_with(self, emitter: Emitter) -> None:
        self._emitter = emitter

    def notify(self) -> None:
        """Look at the store now rather than at the next poll."""
        self._wake.set()

    async def wait_recorded(self, count: int) -> None:
        """Wait until `count` attempts have been written back since start (for tests, metrics)."""
        await self._recorded.reaches(count)

    async def wait_handled(self, count: int) -> None:
        """Wait until `count` claimed deliveries were attempted or held back (postponed)."""
        await self._handled.reaches(count)

    def _count_recorded(self) -> None:
        self._recorded.add()
        self._handled.add()

    def _count_handled(self) -> None:
        self._handled.add()

    def start(self) -> None:
        self.task.start()

    async def stop(self) -> None:
        """Stop claiming; let in-flight attempts finish within the drain time, release the rest."""
        await self.task.stop(self._wake)
        self._summarize(everything=True)
        if self._inflight:
            await asyncio.wait(list(self._inflight), timeout=self._settings.drain_seconds)
        leftovers = {t: d for t, d in self._inflight.items() if not t.done()}
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)
        if leftovers:
            try:
                await self._store.release(sorted(i for ids in leftovers.values() for i in ids))
            except StoreUnavailable:
                log.warning("could not release %d leases; they expire on their own", len(leftovers))

    async def _run(self) -> None:
        while not self._stopping.is_set():
            self._summarize()
            try:
                claimed, full = await self._fill()
            except StoreUnavailable as exc:
                log.warning("claiming deliveries failed: %s", exc.detail)
                claimed, full = 0, False
            if claimed and full:
                continue  # more may be due: claim again before waiting
            await self._idle()

    async def _fill(self) -> tuple[int, bool]:
        free = self._settings.concurrency - len(self._sending)
        if self.paused or free <= 0 or len(self._inflight) >= 2 * self._settings.concurrency:
            return 0, False  # the second bound: answers waiting for their commit
        # Claims come in batches: a claim per finished attempt costs a statement and a share
        # of a commit each. But a slot never stands idle while work is due: a refill smaller
        # than a chunk waits at most REFILL_DELAY for more slots to free, never for a slow
        # receiver to let go of the rest.
        chunk = min(self._settings.batch, max(1, self._settings.concurrency // 4))
        since = time.monotonic() - self._last_claim
        if self._inflight and free < chunk and since < REFILL_DELAY:
            self._refill_at = self._last_claim + REFILL_DELAY
            return 0, False
        self._refill_at = None
        if not self._inflight:
            await self._store.release_expired(self._clock.now())
        limit = min(free, self._settings.batch)
        now = self._clock.now()
        self._last_claim = time.monotonic()
        jobs = await self._store.claim(now, limit, now + self._settings.lease_seconds)
        for group in await self._groups(jobs, now):
            task = asyncio.create_task(self._deliver(group))
            self._inflight[task] = [job.delivery.id for job in group]
            self._sending.add(group[0].delivery.id)
            task.add_done_callback(self._finished)
        return len(jobs), len(jobs) == limit

    async def _groups(self, jobs: list[DeliveryJob], now: float) -> list[list[DeliveryJob]]:
        """One POST each: single deliveries, and batches for subscriptions that want them."""
        singles: list[list[DeliveryJob]] = []
        batched: dict[str, tuple[batching.BatchPolicy, list[DeliveryJob]]] = {}
        for job in jobs:
            sub = self._registry.get(job.delivery.subscription_id)
            if sub is not None and sub.batch is not None:
                batched.setdefault(sub.id, (sub.batch, []))[1].append(job)
            else:
                singles.append([job])
        for sub_id, (policy, held) in batched.items():
            held += await self._gather(sub_id, policy, held, now)
            ready, waiting, until = batching.plan(held, policy, now)
            singles += ready
            if waiting and until is not None:
                await self._store.postpone([j.delivery.id for j in waiting], until)
                for _ in waiting:
                    self._count_handled()
        return singles

    async def _gather(
        self, sub_id: str, policy: batching.BatchPolicy, held: list[DeliveryJob], now: float
    ) -> list[DeliveryJob]:
        """The subscription's other deliveries due by this batch's flush time: waiting ones
        from earlier claims join it, oldest first, so events that arrive one by one still
        travel `size` to a POST. Only a claim whose last batch is short looks."""
        if not len(held) % policy.size:
            return []
        flush_at = batching.flush_time(held, policy)
        lease_until = now + self._settings.lease_seconds
        limit = policy.size * GATHER_BATCHES
        return await self._store.claim_subscription(sub_id, flush_at, limit, lease_until)

    def _finished(self, task: asyncio.Task[None]) -> None:
        ids = self._inflight.pop(task, None)
        if ids:
            self._sending.discard(ids[0])
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery task failed", exc_info=task.exception())
        self._wake.set()

    async def _idle(self) -> None:
        timeout = self._settings.poll_interval
        if self._refill_at is not None:  # a small refill is waiting its turn
            timeout = min(timeout, max(0.0, self._refill_at - time.monotonic()))
        # With attempts in flight, their completion wakes us; the due time matters only when idle.
        if not self.paused and not self._inflight:
            try:
                due = await self._store.next_due()
            except StoreUnavailable:
                due = None
            if due is not None:
                timeout = max(0.0, min(timeout, due - self._clock.now()))
        if timeout > 0:
            # asyncio.timeout, not wait_for: wait_for makes a task per wait, and the loop
            # waits once per finished attempt.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
        self._wake.clear()

    async def _deliver(self, jobs: list[DeliveryJob]) -> None:
        subscription = self._registry.get(jobs[0].delivery.subscription_id)
        if subscription is None or not self._registry.is_active(subscription.id):
            for job in jobs:
                await self._store.record(self._skipped(job, subscription))
                self._count_recorded()
            return
        now = self._clock.now()
        if subscription.state in WAITING:
            # Held, not failed: resuming (or validating) the subscription reschedules these.
            await self._hold(jobs, now + HELD_RECHECK)
            return
        if not await self._may_start(jobs, subscription, now):
            return
        try:
            await self._attempt(jobs, subscription, now)
        finally:
            self._gate(subscription).in_flight -= 1

    async def _hold(self, jobs: list[DeliveryJob], until: float) -> None:
        await self._store.postpone([job.delivery.id for job in jobs], until)
        for _ in jobs:
            self._count_handled()

    def _gate(self, subscription: Subscription) -> Gate:
        gate = self._gates.get(subscription.id)
        rate = subscription.rate_limit
        if gate is None or (gate.bucket.rate if gate.bucket else None) != rate:
            gate = self._gates[subscription.id] = Gate(Bucket(rate) if rate else None)
        return gate

    async def _may_start(
        self, jobs: list[DeliveryJob], subscription: Subscription, now: float
    ) -> bool:
        """Ordering, then the caps (a batch counts as one request); a delivery held back is
        postponed, never failed."""
        subject = jobs[0].event.subject
        if subscription.ordered and subject is not None:
            # One write looks for the head and holds this one behind it, so a head that ends
            # meanwhile (and reschedules its subject) cannot strand it for HELD_RECHECK.
            delivery_id = jobs[0].delivery.id
            if await self._store.hold_ordered(
                delivery_id, subscription.id, subject, now, HELD_RECHECK
            ):
                for _ in jobs:
                    self._count_handled()
                return False
        free_at = admit(self._gate(subscription), subscription.max_in_flight, now)
        if free_at is not None:
            await self._hold(jobs, free_at)
            return False
        return True

    def _request(
        self, jobs: list[DeliveryJob], subscription: Subscription, now: float
    ) -> tuple[bytes, dict[str, str]]:
        events = [job.event for job in jobs]
        send_time = int(self._wall.now())
        return message.signed_request(events, subscription, now, send_time, self._settings.origin)

    async def try_event(self, event: Event, subscription: Subscription) -> Trial:
        """Send one event to a subscription now, signed as a delivery would be, outside the
        queue: nothing is stored, retried or counted in its health (a "send test event")."""
        now, send_time = self._clock.now(), int(self._wall.now())
        origin = self._settings.origin
        body, headers = message.signed_request([event], subscription, now, send_time, origin)
        started = time.perf_counter()
        try:
            timeout = subscription.timeout or self._settings.default_timeout
            response = await self._sender.post(subscription.url, body, headers, timeout)
        except SendError as exc:
            return Trial(event, None, None, str(exc), (time.perf_counter() - started) * 1000)
        text = response.body.decode("utf-8", errors="replace")
        return Trial(event, response.status, text, None, (time.perf_counter() - started) * 1000)

    async def _attempt(
        self, jobs: list[DeliveryJob], subscription: Subscription, now: float
    ) -> None:
        body, headers = self._request(jobs, subscription, now)
        timeout = subscription.timeout or self._settings.default_timeout
        started = time.perf_counter()
        status: int | None = None
        retry_after: str | None = None
        text: str | None = None
        error: str | None = None
        answered: dict[str, str] | None = None
        try:
            response = await self._sender.post(subscription.url, body, headers, timeout)
            status, retry_after = response.status, response.retry_after
            text = response.body.decode("utf-8", errors="replace")
            answered = response.headers
        except SendError as exc:
            error = str(exc)
        self._sending.discard(jobs[0].delivery.id)  # its slot may carry another while it records
        duration_ms = (time.perf_counter() - started) * 1000
        ended = self._clock.now()
        waited = parse_retry_after(retry_after, ended)
        verdicts = set()
        health = self._registry.health(subscription.id)
        for job in jobs:  # one request, but each delivery keeps its own log and schedule
            decision = decide_retry(
                status, job.delivery.retry_index, subscription.retry, ended, self._spread(), waited
            )
            verdicts.add(decision.verdict)
            attempt = Attempt(
                new_id("att"), job.delivery.id, now, duration_ms, status, text, error, answered
            )
            record = self._outcome(attempt, decision, subscription, job.event.subject)
            await self._store.record(record)
            self._observe(job, record, subscription)
            await self._group(record, subscription)
            health = self._registry.note_attempt(subscription.id, record.succeeded, ended)
            if decision.verdict is AttemptVerdict.FAILED:
                await self._exhausted(job, record)
            if record.release_subject is not None:
                self.notify()  # the subject's next one is due now
            self._count_recorded()
        if AttemptVerdict.GONE in verdicts:
            await self._gone(subscription)
        if should_disable(health, ended, self._settings.disable_after):
            await self._give_up(subscription, health)

    async def _group(self, record: AttemptRecord, subscription: Subscription) -> None:
        """Count a failure on its issue, or let a success resolve the subscription's."""
        if self._issues is None:
            return
        if record.succeeded:
            if self._issues.any_live:  # nothing live: no coroutine to pay for
                await self._issues.recovered(("delivery",), subscription.id)
            return
        attempt = record.attempt
        detail = _scrubbed(attempt.error or attempt.response_body, subscription)
        key = delivery_issue(subscription.id, attempt.status_code, attempt.error)
        await self._issues.failed(key, detail or None)

    def _observe(self, job: DeliveryJob, record: AttemptRecord, subscription: Subscription) -> None:
        """The attempt's metrics, and a log line for one that failed: in full for the first of
        its kind (subscription, answer, retrying or dead-lettered), counted for the rest of
        the interval."""
        attempt = record.attempt
        outcome = _OUTCOME[record.status]
        self._metrics.attempt(subscription.id, outcome, attempt.duration_ms / 1000)
        if record.succeeded:
            return
        answer = f"HTTP {attempt.status_code}" if attempt.status_code else "no answer"
        if not self._pacer.admit((subscription.id, outcome, answer)):
            return
        why = _scrubbed(attempt.error, subscription)
        if record.status == DeliveryStatus.PENDING:
            log.warning(
                "delivery %s to %s failed (%s%s) on attempt %d; next at %s", job.delivery.id,
                subscription.id, answer, f": {why}" if why else "", job.delivery.attempts + 1,
                to_rfc3339(record.next_attempt_at or 0.0),
                extra={"delivery_id": job.delivery.id, "subscription_id": subscription.id},
            )  # fmt: skip
        else:
            log.warning(
                "delivery %s to %s dead-lettered after %s (%s%s)", job.delivery.id,
                subscription.id, _attempts(job.delivery.attempts + 1), answer,
                f": {why}" if why else "",
                extra={"delivery_id": job.delivery.id, "subscription_id": subscription.id},
            )  # fmt: skip

    def _summarize(self, everything: bool = False) -> None:
        """One line per kind of failure that went on repeating since its last line (with
        `everything`, on the way out, also for the windows still open)."""
        for summary in self._pacer.drain() if everything else self._pacer.due():
            subscription_id, outcome, answer = summary.key
            what = "attempts failed with" if outcome == "retrying" else "dead-lettered after"
            log.warning(
                "%s: %s %s %s in the last %.0f s", subscription_id, f"{summary.count:,}", what,
                answer, summary.seconds,
                extra={"subscription_id": subscription_id, "count": summary.count},
            )  # fmt: skip

    async def _exhausted(self, job: DeliveryJob, record: AttemptRecord) -> None:
        if job.event.type.startswith("hub."):
            return  # never an event about an event about ...: no chains of our own
        data = {
            "delivery_id": job.delivery.id, "event_id": job.event.id,
            "event_type": job.event.type, "subscription_id": job.delivery.subscription_id,
            "attempts": job.delivery.attempts + 1,
            "last_status_code": record.attempt.status_code, "last_error": record.attempt.error,
        }  # fmt: skip
        await self._emit("hub.delivery.exhausted", data, f"delivery/{job.delivery.id}")

    async def _give_up(self, subscription: Subscription, health: Health) -> None:
        """Every attempt has failed for too long: disable, tell the admins' subscribers."""
        if not self._registry.is_active(subscription.id):
            return
        since = to_rfc3339(health.failing_since or 0.0)
        reason = f"every attempt failed since {since} ({health.failures} attempts)"
        now = self._clock.now()
        await self._store.set_subscription_active(subscription.id, False, reason, now)
        self._registry.set_active(subscription.id, False)
        log.warning("subscription %s disabled: %s", subscription.id, reason)
        await self._disabled(subscription, reason)

    async def _disabled(self, subscription: Subscription, reason: str) -> None:
        data = {"subscription_id": subscription.id, "url": subscription.url, "reason": reason}
        await self._emit("hub.subscription.disabled", data, f"subscription/{subscription.id}")

    async def _emit(self, event_type: str, data: dict[str, Any], subject: str) -> None:
        if self._emitter is not None:
            try:
                await self._emitter(event_type, data, subject)
            except StoreUnavailable:
                log.exception("could not record the operational event %s", event_type)

    async def _gone(self, subscription: Subscription) -> None:
        """410 Gone: a file subscription is disabled; an API one (a Zap turned off) is
        unsubscribed, as the REST Hooks contract asks."""
        if subscription.origin == "file":
            self._registry.set_active(subscription.id, False)
            log.warning("subscription %s answered 410 Gone: disabled", subscription.id)
            await self._disabled(subscription, "the endpoint answered 410 Gone")
            return
        await self._store.delete_document("subscription", subscription.id)
        self._registry.remove(subscription.id)
        if self._issues is not None:  # its failures are nobody's to fix any more
            await self._issues.recovered(("delivery",), subscription.id)
        log.warning("subscription %s answered 410 Gone: unsubscribed", subscription.id)
        await self._disabled(subscription, "unsubscribed: the target answered 410 Gone")

    @staticmethod
    def _outcome(
        attempt: Attempt, decision: RetryDecision, subscription: Subscription, subject: str | None
    ) -> AttemptRecord:
        gone = decision.verdict is AttemptVerdict.GONE
        done = decision.verdict is not AttemptVerdict.RETRY
        return AttemptRecord(
            attempt=attempt,
            status=_STATUS[decision.verdict],
            next_attempt_at=decision.next_attempt_at,
            retry_index=decision.retry_index,
            disable_subscription=subscription.id if gone else None,
            disable_reason=(
                "the endpoint answered 410 Gone"
                if subscription.origin == "file"
                else "unsubscribed: the target answered 410 Gone"
            )
            if gone
            else None,
            subscription_id=subscription.id,
            succeeded=decision.verdict is AttemptVerdict.SUCCEEDED,
            # The head is done (delivered or dead-lettered): its subject's next one may go.
            release_subject=subject if subscription.ordered and subject and done else None,
        )

    def _skipped(self, job: DeliveryJob, subscription: Subscription | None) -> AttemptRecord:
        why = "no longer configured" if subscription is None else "disabled"
        attempt = Attempt(
            new_id("att"),
            job.delivery.id,
            self._clock.now(),
            0.0,
            None,
            None,
            f"not sent: subscription {job.delivery.subscription_id} is {why}",
        )
        return AttemptRecord(attempt, DeliveryStatus.FAILED, None, job.delivery.retry_index)
