"""Store writes: what an outcome becomes in the store, alone or many in one transaction.

The tracker applies a run of the log's events as one transaction (`Batch`), which is what lets
it keep up with ingest: one commit, and one fsync, for every event it read in one look, instead
of one each. Within a run the events see each other's outcomes through the batch (an order
created by one event is moved by the next), and what is written is each object's last version,
so the result is the same as applying them one by one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from hub.errors import HubError
from hub.model import (
    BusinessObject,
    CanonicalEvent,
    Delivery,
    Event,
    LogEntry,
    ObjectDeadline,
    Receipt,
    StateChange,
)
from hub.state.apply import Applied

log = logging.getLogger("hub.state")

Prepare = Callable[[list[CanonicalEvent]], tuple[Receipt, list[Event], list[Delivery]]]


def written(applied: Applied, event: Event | None) -> StateChange:
    """One outcome's own rows, without its status events and with the cursor left alone."""
    obj = applied.object
    if obj is None:
        return StateChange(None, None)
    return StateChange(
        None,
        None,
        objects=[obj],
        removed=list(applied.removed),
        log=list(applied.log),
        timeline=[(obj.id, event.id)] if event is not None else [],
        deadlines=[applied.deadline] if applied.deadline is not None else [],
        cleared=[obj.id] if applied.clear_deadline else [],
    )


def change_of(
    applied: Applied,
    cursor_from: str | None,
    cursor_to: str | None,
    event: Event | None,
    prepare: Prepare,
) -> StateChange:
    """The store write for one outcome: its status events built and routed by `prepare`."""
    change = replace(written(applied, event), cursor_from=cursor_from, cursor_to=cursor_to)
    if applied.object is None or not applied.emitted:
        return change
    receipt, events, deliveries = prepare(applied.emitted)
    return replace(change, receipt=receipt, events=events, deliveries=deliveries)


def bundle_change(applied: list[Applied], prepare: Prepare) -> StateChange:
    """Many manual outcomes (a bundle of a bulk transition) as one write."""
    batch = Batch(None)
    for outcome in applied:
        batch.add(outcome, None)
    return batch.change(prepare)


@dataclass
class Batch:
    """Outcomes gathered for one transaction, each object at its latest.

    A merge is never gathered with others (the store folds a merged object's rows into its
    survivor, which assumes one survivor per write): the tracker writes what it has gathered
    first, then the merge alone.
    """

    cursor_from: str | None
    cursor_to: str | None = None
    objects: dict[str, BusinessObject] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)  # a merge's, alone in its batch
    log: list[LogEntry] = field(default_factory=list)
    timeline: list[tuple[str, str]] = field(default_factory=list)
    # Each object's deadline as it ends up: a new one, or None when cancelled.
    deadlines: dict[str, ObjectDeadline | None] = field(default_factory=dict)
    emitted: list[list[CanonicalEvent]] = field(default_factory=list)  # per outcome
    looked: int = 0  # events whose outcome is in here, including those that changed nothing

    def add(self, applied: Applied, event: Event | None) -> None:
        if event is not None:
            self.cursor_to = event.id
        self.looked += 1
        obj = applied.object
        if obj is None:
            return
        self.objects[obj.id] = obj
        self.removed += applied.removed
        self.log += applied.log
        if event is not None:
            self.timeline.append((obj.id, event.id))
        if applied.clear_deadline:
            self.deadlines[obj.id] = None
        if applied.deadline is not None:
            self.deadlines[obj.id] = applied.deadline
        if applied.emitted:
            self.emitted.append(applied.emitted)

    def following(self) -> Batch:
        """An empty batch that starts where this one ends."""
        return Batch(self.cursor_to if self.looked else self.cursor_from)

    def skip(self, event: Event) -> None:
        """An event that moves nothing: only the cursor passes it."""
        self.cursor_to = event.id
        self.looked += 1

    def change(self, prepare: Prepare) -> StateChange:
        """The whole batch as one write."""
        receipt, events, deliveries = self._prepared(prepare)
        return StateChange(
            self.cursor_from,
            self.cursor_to,
            objects=list(self.objects.values()),
            removed=list(self.removed),
            log=list(self.log),
            timeline=list(self.timeline),
            deadlines=[d for d in self.deadlines.values() if d is not None],
            cleared=[i for i, d in self.deadlines.items() if d is None],
            receipt=receipt,
            events=events,
            deliveries=deliveries,
        )

    def _prepared(self, prepare: Prepare) -> tuple[Receipt | None, list[Event], list[Delivery]]:
        """Every status event built, less those of an outcome whose events fail their schema
        (the hub's own bug, logged): the state they report is still written."""
        every = [e for group in self.emitted for e in group]
        if not every:
            return None, [], []
        try:
            return prepare(every)
        except HubError:
            pass
        kept: list[CanonicalEvent] = []
        for group in self.emitted:
            try:
                prepare(group)
                kept += group
            except HubError as exc:
                log.error("status events of %s not raised: %s", group[0].subject, exc.detail)
        return prepare(kept) if kept else (None, [], [])


class View:
    """What the tracker knows of the objects one look's events name: read from the store once
    for the whole look, then kept up to date with each outcome, so the events of a run see each
    other's changes (and merges) without another read."""

    def __init__(self, holders: list[BusinessObject]) -> None:
        self._objects = {o.id: o for o in holders}
        self._holder = {alias: o.id for o in holders for alias in o.aliases}

    def known(self, object_type: str | None, aliases: list[str]) -> list[BusinessObject]:
        """The objects of `object_type` holding any of `aliases`, in id order."""
        ids = sorted({self._holder[a] for a in aliases if a in self._holder})
        found = (self._objects.get(i) for i in ids)
        return [o for o in found if o is not None and o.type == object_type]

    def update(self, applied: Applied) -> None:
        for gone in applied.removed:
            self._objects.pop(gone, None)
        obj = applied.object
        if obj is not None:
            self._objects[obj.id] = obj
            self._holder.update(dict.fromkeys(obj.aliases, obj.id))
