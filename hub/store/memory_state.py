"""Business state for the in-memory store: objects, aliases, logbook, timeline, deadlines.

Kept apart from `hub.store.memory` (the spine's rows) so each module stays one concept; the
memory store takes it in as a mixin and shares its events and ingest.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

from hub.model import (
    BusinessObject,
    Delivery,
    Event,
    IngestResult,
    LogEntry,
    ObjectDeadline,
    ObjectFilter,
    Page,
    Receipt,
    StateChange,
)
from hub.store.base import MAX_PAGE, check_cursor, page

STATE_CURSOR = "state_cursor"


def matches(
    obj: BusinessObject, where: ObjectFilter, deadline: ObjectDeadline | None, raised: bool
) -> bool:
    """Whether an object passes a filter (shared by both backends' tests of each other);
    `raised` says a deadline was raised in the status the object is still in."""
    if where.type is not None and obj.type != where.type:
        return False
    if where.status is not None and obj.status != where.status:
        return False
    if where.state is not None and obj.state != where.state:
        return False
    if where.company is not None and obj.company != where.company:
        return False
    if where.overdue_at is not None and not (
        (deadline is not None and deadline.due_at <= where.overdue_at) or raised
    ):
        return False
    if where.text is not None:
        text = where.text.lower()
        names = [obj.key, *obj.aliases, *(a.partition(":")[2] for a in obj.aliases)]
        facts = json.dumps(obj.facts, default=str).lower()
        return any(text == n.lower() for n in names) or text in facts
    if where.alias is not None:
        return where.alias in (obj.key, *obj.aliases, *(a.partition(":")[2] for a in obj.aliases))
    return True


def kept(entry: LogEntry) -> bool:
    """A logbook line that replaying the event log would not write again."""
    return entry.trigger == "manual" or entry.outcome == "overdue"


class MemoryState:
    """The state half of `MemoryStore`."""

    meta: dict[str, str]
    events: dict[str, Event]

    def _state_init(self) -> None:
        self.objects: dict[str, BusinessObject] = {}
        self.alias_index: dict[str, str] = {}
        self.logs: dict[str, list[LogEntry]] = {}
        self.timelines: dict[str, list[str]] = {}
        self.pending_deadlines: dict[str, ObjectDeadline] = {}

    if TYPE_CHECKING:  # MemoryStore's own

        async def ingest(
            self, receipt: Receipt, events: list[Event], deliveries: list[Delivery]
        ) -> IngestResult: ...

    async def state_cursor(self) -> str | None:
        return self.meta.get(STATE_CURSOR)

    async def objects_by_alias(self, aliases: list[str]) -> dict[str, str]:
        return {a: self.alias_index[a] for a in aliases if a in self.alias_index}

    async def get_object(self, object_id: str) -> BusinessObject | None:
        return self.objects.get(object_id)

    async def holders(self, aliases: list[str]) -> list[BusinessObject]:
        ids = sorted({self.alias_index[a] for a in aliases if a in self.alias_index})
        return [self.objects[i] for i in ids if i in self.objects]

    async def find_object(self, object_type: str, key: str) -> BusinessObject | None:
        typed = [o for o in self.objects.values() if o.type == object_type]
        for test in (
            lambda o: o.key == key,
            lambda o: key in o.aliases,
            lambda o: any(a.partition(":")[2] == key for a in o.aliases),
        ):
            found = sorted((o for o in typed if test(o)), key=lambda o: o.id)
            if found:
                return found[0]
        return None

    def _raised(self, obj: BusinessObject) -> bool:
        return any(
            e.outcome == "overdue" and e.to_status == obj.status and e.at >= obj.since
            for e in self.logs.get(obj.id, [])
        )

    async def list_objects(
        self, where: ObjectFilter, cursor: str | None, limit: int
    ) -> Page[BusinessObject]:
        cursor = check_cursor(cursor)
        found = [
            o
            for o in self.objects.values()
            if matches(o, where, self.pending_deadlines.get(o.id), self._raised(o))
            and (cursor is None or o.id < cursor)
        ]
        limit = min(limit, MAX_PAGE)
        return page(sorted(found, key=lambda o: o.id, reverse=True)[: limit + 1], limit)

    async def apply_state(self, change: StateChange) -> bool:
        if change.cursor_to is not None and self.meta.get(STATE_CURSOR) != change.cursor_from:
            return False
        self._drop_types(change.replace_types)
        for object_id in change.removed:
            self.objects.pop(object_id, None)
            self.logs.setdefault(change.objects[0].id, []).extend(self.logs.pop(object_id, []))
            self.timelines.setdefault(change.objects[0].id, []).extend(
                self.timelines.pop(object_id, [])
            )
            self.pending_deadlines.pop(object_id, None)
        for obj in change.objects:
            self.objects[obj.id] = obj
            for alias in obj.aliases:
                self.alias_index[alias] = obj.id
        for entry in change.log:
            self.logs.setdefault(entry.object_id, []).append(entry)
        for object_id, event_id in change.timeline:
            events = self.timelines.setdefault(object_id, [])
            if event_id not in events:
                events.append(event_id)
        for object_id in [*change.cleared, *change.fired]:
            self.pending_deadlines.pop(object_id, None)
        for deadline in change.deadlines:
            self.pending_deadlines[deadline.object_id] = deadline
        if change.receipt is not None:
            await self.ingest(change.receipt, change.events, change.deliveries)
        if change.cursor_to is not None:
            self.meta[STATE_CURSOR] = change.cursor_to
        return True

    def _drop_types(self, types: tuple[str, ...]) -> None:
        for obj in [o for o in self.objects.values() if o.type in types]:
            del self.objects[obj.id]
            for alias in obj.aliases:
                if self.alias_index.get(alias) == obj.id:
                    del self.alias_index[alias]
            self.logs.pop(obj.id, None)
            self.timelines.pop(obj.id, None)
            self.pending_deadlines.pop(obj.id, None)

    async def kept_log(self, types: list[str]) -> list[LogEntry]:
        found = [
            entry
            for obj in self.objects.values()
            if obj.type in types
            for entry in self.logs.get(obj.id, [])
            if kept(entry)
        ]
        return sorted(found, key=lambda e: (e.at, e.id))

    async def logbook(self, object_id: str, limit: int) -> list[LogEntry]:
        return sorted(self.logs.get(object_id, []), key=lambda e: e.id, reverse=True)[:limit]

    async def timeline(self, object_id: str, limit: int) -> list[Event]:
        ids = self.timelines.get(object_id, [])
        return sorted((self.events[i] for i in ids if i in self.events), key=lambda e: e.id)[:limit]

    async def deadlines(self, object_id: str) -> list[ObjectDeadline]:
        found = self.pending_deadlines.get(object_id)
        return [] if found is None else [found]

    async def due_deadlines(self, now: float, limit: int) -> list[ObjectDeadline]:
        due = [d for d in self.pending_deadlines.values() if d.due_at <= now]
        return sorted(due, key=lambda d: (d.due_at, d.object_id))[:limit]

    async def next_deadline(self) -> float | None:
        return min((d.due_at for d in self.pending_deadlines.values()), default=None)


def with_aliases(obj: BusinessObject, aliases: list[str]) -> BusinessObject:
    """The object answering to these aliases too (sorted, without repeats)."""
    return replace(obj, aliases=tuple(sorted({*obj.aliases, *aliases})))


__all__ = ["STATE_CURSOR", "MemoryState", "kept", "matches", "with_aliases"]
