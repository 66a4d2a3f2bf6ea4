"""Rebuild: the stored event log replayed through today's rules, compared with the live state.

Business state is derived, so an admin who fixes a wrong rule rebuilds: every event up to the
tracker's cursor is applied again, in order, to a scratch state in memory, with the manual moves
and raised deadlines of the logbook (which the log cannot give again) replayed at their place in
time. The result is compared with the live objects (matched by any alias they share); applying
it replaces the live objects of the rebuilt types in one commit. Objects that kept their status
keep their id, their time in status and their deadline's fate; objects that moved raise one
status-changed event each, from the live status to the rebuilt one, when asked to (`emit`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from hub.ids import new_id
from hub.model import (
    BusinessObject,
    CanonicalEvent,
    Event,
    LogEntry,
    ObjectDeadline,
    ObjectFilter,
)
from hub.state import correlate
from hub.state.apply import apply_event, apply_manual, status_event
from hub.state.rules import Rules
from hub.state.scratch import Scratch
from hub.state.transitions import TransitionDecision, TransitionOutcome
from hub.state.writes import written
from hub.store.base import Store

PAGE = 500
SHOWN = 1000  # differences listed in a report (all are counted)
REPLAYED = ("moved", "forced")  # manual outcomes a rebuild asks for again; others are history


@dataclass(frozen=True)
class Difference:
    type: str
    key: str
    change: str  # changed: another status; new: only the rebuild has it; gone: only the live
    live_status: str | None
    rebuilt_status: str | None


@dataclass
class Report:
    dry_run: bool
    emit: bool
    types: list[str]
    events: int = 0
    objects: int = 0
    differences: list[Difference] = field(default_factory=list)

    def render(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "emit": self.emit,
            "types": self.types,
            "events_replayed": self.events,
            "objects": self.objects,
            "differing": len(self.differences),
            "differences": [d.__dict__ for d in self.differences[:SHOWN]],
        }


async def replay(
    store: Store,
    rules: Rules,
    types: list[str],
    upto: str | None,
    live: list[BusinessObject],
    kept: list[LogEntry],
) -> tuple[Scratch, int]:
    """The state the log (up to `upto`) and the kept logbook give under `rules`."""
    scratch = Scratch()
    manual = [e for e in kept if e.trigger == "manual" and e.outcome in REPLAYED]
    live_aliases = {o.id: o.aliases for o in live}
    count, after = 0, None
    while upto is not None:
        page = await store.events_after(after, PAGE)
        for event in page:
            if event.id > upto:
                break
            while manual and manual[0].at < event.received_at:
                await _manual(scratch, rules, manual.pop(0), live_aliases)
            if rules.object_type(event.type) in types:
                await _event(scratch, rules, event)
                count += 1
        if len(page) < PAGE or page[-1].id >= upto:
            break
        after = page[-1].id
    for entry in manual:
        await _manual(scratch, rules, entry, live_aliases)
    return scratch, count


async def _event(scratch: Scratch, rules: Rules, event: Event) -> None:
    object_type = rules.object_type(event.type)
    assert object_type is not None
    data = json.loads(event.data_json)
    aliases = correlate.aliases_of(data, event.subject, object_type, rules.links)
    holders = sorted(set((await scratch.objects_by_alias(aliases)).values()))
    known = [scratch.objects[i] for i in holders if scratch.objects[i].type == object_type]
    applied = apply_event(rules, event, data, known, event.received_at)
    if applied.object is None:
        return
    applied.emitted.clear()
    await scratch.apply_state(written(applied, event))


async def _manual(
    scratch: Scratch, rules: Rules, entry: LogEntry, live_aliases: dict[str, tuple[str, ...]]
) -> None:
    holders = await scratch.objects_by_alias(list(live_aliases.get(entry.object_id, ())))
    if not holders or entry.to_status is None:
        return
    obj = scratch.objects[min(holders.values())]
    force = entry.outcome == "forced"
    applied = apply_manual(rules.types[obj.type], obj, entry.to_status, entry.message, force,
                           entry.created_by or "admin", entry.at)  # fmt: skip
    assert applied.object is not None
    applied.emitted.clear()
    await scratch.apply_state(written(applied, None))


@dataclass
class Rebuilt:
    """The rebuilt state, with live ids kept, ready to replace the live one."""

    objects: list[BusinessObject]
    log: list[LogEntry]
    timeline: list[tuple[str, str]]
    deadlines: list[ObjectDeadline]
    differences: list[Difference]
    moved: list[tuple[BusinessObject, str | None]]  # rebuilt object, live status


def reconcile(
    scratch: Scratch,
    live: list[BusinessObject],
    live_deadlines: dict[str, ObjectDeadline],
    kept: list[LogEntry],
) -> Rebuilt:
    """Match rebuilt objects to live ones by alias and decide what each keeps (pure)."""
    by_alias = {alias: o for o in sorted(live, key=lambda o: o.id, reverse=True)
                for alias in o.aliases}  # fmt: skip
    taken: dict[str, str] = {}  # live id -> rebuilt id
    ids: dict[str, str] = {}  # rebuilt id -> the id it is written with
    result = Rebuilt([], [], [], [], [], [])
    for obj in sorted(scratch.objects.values(), key=lambda o: o.id):
        match = next((by_alias[a] for a in obj.aliases if a in by_alias
                      and by_alias[a].id not in taken), None)  # fmt: skip
        if match is None:
            ids[obj.id] = obj.id
            result.objects.append(obj)
            result.differences.append(Difference(obj.type, obj.key, "new", None, obj.status))
            result.moved.append((obj, None))
            deadline = scratch.pending_deadlines.get(obj.id)
            result.deadlines += [deadline] if deadline is not None else []
            continue
        taken[match.id] = obj.id
        ids[obj.id] = match.id
        same = match.status == obj.status
        kept_obj = replace(obj, id=match.id, created_at=match.created_at,
                           since=match.since if same else obj.since)  # fmt: skip
        result.objects.append(kept_obj)
        deadline = live_deadlines.get(match.id) if same else scratch.pending_deadlines.get(obj.id)
        if deadline is not None:
            result.deadlines.append(replace(deadline, object_id=match.id))
        if not same:
            result.differences.append(
                Difference(obj.type, obj.key, "changed", match.status, obj.status)
            )
            result.moved.append((kept_obj, match.status))
    for obj in live:
        if obj.id not in taken:
            result.differences.append(Difference(obj.type, obj.key, "gone", obj.status, None))
    # Each logbook is what the replay wrote, with the manual moves and raised deadlines as
    # they were logged, in time order, and numbered again so that the newest sorts last.
    logs: dict[str, list[LogEntry]] = {}
    for object_id, entries in scratch.logs.items():
        logs[ids[object_id]] = [replace(e, object_id=ids[object_id]) for e in entries
                                if e.trigger != "manual"]  # fmt: skip
    for entry in kept:
        if entry.object_id in taken:
            logs.setdefault(entry.object_id, []).append(entry)
    for entries in logs.values():
        result.log += [replace(e, id=new_id("log")) for e in sorted(entries, key=lambda e: e.at)]
    for object_id, event_ids in scratch.timelines.items():
        result.timeline += [(ids[object_id], e) for e in event_ids]
    return result


def status_events(
    moved: list[tuple[BusinessObject, str | None]], now: float
) -> Iterator[CanonicalEvent]:
    """One status-changed event per object whose status the rebuild changed."""
    for obj, source in moved:
        decision = TransitionDecision(
            TransitionOutcome.MOVED, source, obj.status, f"rebuild: {source} to {obj.status}"
        )
        yield status_event(obj, decision, "rebuild", None, "admin", now)


async def live_state(
    store: Store, types: list[str]
) -> tuple[list[BusinessObject], dict[str, ObjectDeadline]]:
    objects: list[BusinessObject] = []
    for object_type in types:
        cursor: str | None = None
        while True:
            found = await store.list_objects(ObjectFilter(type=object_type), cursor, PAGE)
            objects += found.items
            if found.next_cursor is None:
                break
            cursor = found.next_cursor
    deadlines = {d.object_id: d for o in objects for d in await store.deadlines(o.id)}
    return objects, deadlines
