"""The state tracker: follows the committed event log and moves business objects.

It reads events after a durable cursor, like a subscriber inside the hub, so ingest never waits
for the rules and business state stays derived and rebuildable. Each event's outcome (the
object, its aliases, logbook, deadline, the status events with their deliveries) is written in
one transaction together with the cursor past that event: a crash between an event's commit
and its application loses nothing, and applying it again changes nothing. Deadlines are rows
in the store, raised once by the same loop when they fall due.

The loop wakes when ingest commits, when a deadline falls due, or on the poll interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.background import BackgroundTask
from hub.clock import Clock, to_rfc3339
from hub.errors import NotFound, StoreUnavailable
from hub.filters import Filter
from hub.ids import new_id
from hub.model import (
    BusinessObject,
    Delivery,
    Event,
    EventFilter,
    LogEntry,
    ObjectDeadline,
    ObjectFilter,
    StateChange,
)
from hub.state import correlate, rebuild
from hub.state.apply import Applied, apply_event, apply_manual, overdue_event
from hub.state.bulk import BulkResult, selected
from hub.state.rules import Rules
from hub.state.transitions import TransitionDecision
from hub.state.writes import Batch, Prepare, View, bundle_change, change_of
from hub.store.base import Store
from hub.tally import Tally

log = logging.getLogger("hub.state")

Committed = Callable[[list[Event], list[Delivery]], None]


@dataclass(frozen=True)
class TrackerSettings:
    """How the tracker shares the event loop with ingest.

    Attributes:
        batch: events read per look at the log.
        share: the most of the loop's time the tracker takes while it is behind by a whole
            batch and ingest keeps committing (a burst): acknowledging senders comes first,
            and the log keeps what the tracker has not applied yet, so it catches up at full
            speed once the burst is over. Nearly caught up, it runs at once, which is what
            keeps the state lag low.
        max_defer: how long it yields so. A backlog that outlives this is no burst: at a
            steady rate after a stall, yielding would let the backlog grow for ever (measured:
            at 200 events/s, a lag of 15 s and rising), so it then runs at full speed until
            it has caught up.
    """

    poll_interval: float = 1.0
    batch: int = 200
    share: float = 0.05
    max_defer: float = 10.0


@dataclass(frozen=True)
class About:
    """What an event says about business state: the type of object and its aliases."""

    type: str | None
    data: dict[str, Any]
    aliases: list[str]


class StateTracker:
    """Applies the status rules to every committed event, once, in acceptance order."""

    def __init__(
        self,
        store: Store,
        rules: Rules,
        clock: Clock,
        prepare: Prepare,
        committed: Committed,
        settings: TrackerSettings | None = None,
    ) -> None:
        self._store, self._rules, self._clock = store, rules, clock
        self._prepare, self._committed = prepare, committed
        self._settings = settings or TrackerSettings()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.task = BackgroundTask("state", self._run, self._stopping)
        self._applied = Tally()
        self._cursor: str | None = None
        self._behind_since: float | None = None
        self._moved = asyncio.Condition()
        # One object is changed by one writer at a time: the log's events and manual moves.
        self._lock = asyncio.Lock()
        self.paused = False

    @property
    def alive(self) -> bool:
        return self.task.alive

    def notify(self) -> None:
        """Look at the log now: events were committed (or time was moved in a test)."""
        self._wake.set()

    async def wait_applied(self, count: int) -> None:
        """Wait until `count` events have been applied since start (for tests)."""
        await self._applied.reaches(count)

    async def caught_up(self) -> None:
        """Wait until every event committed so far has been applied (for tests and tools)."""
        newest = await self._store.list_events(EventFilter(), None, 1)
        if not newest.items:
            return
        target = newest.items[0].id
        async with self._moved:
            await self._moved.wait_for(lambda: (self._cursor or "") >= target)

    def start(self) -> None:
        """Follow the log and raise deadlines; nothing to do (its task stays off) without rules."""
        if self._rules.types:
            self.task.start()

    async def stop(self) -> None:
        await self.task.stop(self._wake)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            started = time.perf_counter()
            self._wake.clear()  # set again by ingest if it commits while we work
            try:
                looked = 0 if self.paused else await self._follow()
                busy = bool(looked) or (not self.paused and bool(await self._deadlines()))
            except StoreUnavailable as exc:
                log.warning("state tracking paused: %s", exc.detail)
                looked, busy = 0, False
            behind = looked >= self._settings.batch and self._wake.is_set()
            if behind and self._deferring(started):
                await self._breathe(time.perf_counter() - started)
            elif not behind:
                self._behind_since = None
            if not busy:
                await self._idle()

    def _deferring(self, now: float) -> bool:
        """Behind by a whole batch: yield, unless it has been so for `max_defer` already."""
        if self._behind_since is None:
            self._behind_since = now
        return now - self._behind_since < self._settings.max_defer

    async def _breathe(self, spent: float) -> None:
        """Behind by a whole batch: leave the loop to ingest for as long as the share says."""
        share = self._settings.share
        pause = spent * (1 - share) / share
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), pause)

    async def _idle(self) -> None:
        timeout = self._settings.poll_interval
        with contextlib.suppress(StoreUnavailable):
            due = await self._store.next_deadline()
            if due is not None:
                timeout = max(0.0, min(timeout, due - self._clock.now()))
        if timeout > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
        self._wake.clear()

    async def _follow(self) -> int:
        """Apply the events after the cursor, a batch per transaction; how many were looked at."""
        if self._cursor is None:
            cursor = await self._store.state_cursor()
            if cursor is not None:
                await self._moved_to(cursor)
        cursor = self._cursor
        events = await self._store.events_after(cursor, self._settings.batch)
        if not events:
            return 0
        async with self._lock:
            named = [self._named(event) for event in events]
            view = View(await self._store.holders([a for n in named for a in n.aliases]))
            batch = Batch(cursor)
            for event, about in zip(events, named, strict=True):
                applied = self._outcome(event, about, view.known(about.type, about.aliases))
                if applied is None:
                    batch.skip(event)
                    continue
                view.update(applied)
                if not applied.removed:
                    batch.add(applied, event)
                    continue
                # A merge goes alone, after what was gathered before it.
                if batch.looked and not await self._write(batch):
                    return self._reread(len(events))
                batch = batch.following()
                batch.add(applied, event)
                if not await self._write(batch):
                    return self._reread(len(events))
                batch = batch.following()
            if batch.looked and not await self._write(batch):
                return self._reread(len(events))
        return len(events)

    def _reread(self, looked: int) -> int:
        """Someone moved the cursor (a rebuild): read it again before the next look."""
        self._cursor = None
        return looked

    def _named(self, event: Event) -> About:
        """The object type an event is about and the aliases it names it by."""
        object_type = self._rules.object_type(event.type)
        if object_type is None:
            return About(None, {}, [])
        data = json.loads(event.data_json)
        aliases = correlate.aliases_of(data, event.subject, object_type, self._rules.links)
        return About(object_type, data, aliases)

    async def _write(self, batch: Batch) -> bool:
        """Commit a batch; False if someone moved the cursor (a rebuild): read it again."""
        change = batch.change(self._prepare)
        if not await self._store.apply_state(change):
            return False
        self._applied.add(batch.looked)
        assert batch.cursor_to is not None
        await self._moved_to(batch.cursor_to)
        self._publish(change)
        return True

    async def _moved_to(self, cursor: str) -> None:
        async with self._moved:
            self._cursor = cursor
            self._moved.notify_all()

    def _publish(self, change: StateChange) -> None:
        """Hand committed status events to the worker and the feed, without waking ourselves:
        a status event never moves business state, so it is no reason to look at the log."""
        if not change.events:
            return
        woken = self._wake.is_set()
        self._committed(change.events, change.deliveries)
        if not woken:
            self._wake.clear()

    def _outcome(self, event: Event, about: About, known: list[BusinessObject]) -> Applied | None:
        """What `event` does to the objects it names (None if it names none)."""
        if about.type is None:
            return None
        applied = apply_event(self._rules, event, about.data, known, self._clock.now())
        return applied if applied.object is not None else None

    async def transition(
        self, obj: BusinessObject, target: str, message: str | None, force: bool, created_by: str
    ) -> tuple[BusinessObject, TransitionDecision]:
        """A manual transition, logged whatever its outcome, serialized with the log's events.

        Raises:
            NotFound: the object is gone (merged into another) by the time it is its turn.
        """
        async with self._lock:
            current = await self._store.get_object(obj.id)
            if current is None:
                raise NotFound(f"{obj.type} {obj.key} was merged into another; look it up again")
            applied = apply_manual(self._rules.types[obj.type], current, target, message, force,
                                   created_by, self._clock.now())  # fmt: skip
            change = change_of(applied, None, None, None, self._prepare)
            await self._store.apply_state(change)
        self._publish(change)
        assert applied.object is not None
        return applied.object, applied.decisions[-1]

    async def bulk(
        self,
        object_type: str,
        source: str | None,
        target: str,
        where: Filter | None,
        message: str | None,
        force: bool,
        created_by: str,
        dry_run: bool,
    ) -> BulkResult:
        """One target for every object of a type in `source` (any, if None) that `where`
        matches, a bundle per transaction; the log's events wait only for one bundle."""
        rules = self._rules.types[object_type]
        result = BulkResult(dry_run)
        listing = ObjectFilter(type=object_type, status=source)
        cursor: str | None = None
        while True:
            found = await self._store.list_objects(listing, cursor, rules.bundle_size)
            async with self._lock:
                outcomes = []
                for listed in found.items:
                    obj = await self._store.get_object(listed.id)  # as it is now
                    if obj is None or not selected(obj, source, where):
                        continue
                    applied = apply_manual(rules, obj, target, message, force, created_by,
                                           self._clock.now())  # fmt: skip
                    result.count(obj, applied.decisions[-1])
                    outcomes.append(applied)
                change = bundle_change(outcomes, self._prepare) if not dry_run else None
                if change is not None and outcomes:
                    await self._store.apply_state(change)
            if outcomes:
                result.bundles += 1
            if change is not None:
                self._publish(change)
            if found.next_cursor is None:
                return result
            cursor = found.next_cursor

    async def rebuild(self, types: list[str], dry_run: bool, emit: bool) -> rebuild.Report:
        """Replay the log through today's rules; unless `dry_run`, make the result live (with
        one status event per changed object if `emit`). Holds the tracker meanwhile."""
        report = rebuild.Report(dry_run, emit, types)
        async with self._lock:
            cursor = await self._store.state_cursor()
            live, deadlines = await rebuild.live_state(self._store, types)
            kept = await self._store.kept_log(types)
            scratch, report.events = await rebuild.replay(self._store, self._rules, types,
                                                          cursor, live, kept)  # fmt: skip
            result = rebuild.reconcile(scratch, live, deadlines, kept)
            report.objects, report.differences = len(result.objects), result.differences
            if dry_run:
                return report
            emitted = list(rebuild.status_events(result.moved, self._clock.now())) if emit else []
            receipt, events, deliveries = self._prepare(emitted) if emitted else (None, [], [])
            change = StateChange(
                cursor, cursor, objects=result.objects, replace_types=tuple(types),
                log=result.log, timeline=result.timeline, deadlines=result.deadlines,
                receipt=receipt, events=events, deliveries=deliveries,
            )  # fmt: skip
            await self._store.apply_state(change)
        if events:
            self._committed(events, deliveries)
        self._wake.set()  # deadlines may have changed
        return report

    async def _deadlines(self) -> int:
        """Raise every deadline that has fallen due, once."""
        due = await self._store.due_deadlines(self._clock.now(), 50)
        for deadline in due:
            change = await self._overdue(deadline)
            if await self._store.apply_state(change):
                self._publish(change)
        return len(due)

    async def _overdue(self, deadline: ObjectDeadline) -> StateChange:
        obj = await self._store.get_object(deadline.object_id)
        if obj is None or obj.status != deadline.status:
            return StateChange(None, None, fired=[deadline.object_id])  # it left the status
        message = f"still {obj.status} since {to_rfc3339(deadline.since)}"
        entry = LogEntry(new_id("log"), obj.id, self._clock.now(), deadline.emit, "overdue",
                         obj.status, obj.status, message)  # fmt: skip
        receipt, events, deliveries = self._prepare([overdue_event(obj, deadline)])
        return StateChange(None, None, log=[entry], fired=[obj.id], receipt=receipt,
                           events=events, deliveries=deliveries)  # fmt: skip
