"""The rebuild's workspace: business state held in memory while the event log is replayed
through today's rules, then compared with the live state (`hub.state.rebuild`).

It is not a store: it keeps only what a replay writes and reads (objects, their aliases,
logbooks, timelines and pending deadlines), so that a dry run touches nothing durable.
"""

from __future__ import annotations

from hub.model import BusinessObject, LogEntry, ObjectDeadline, StateChange


class Scratch:
    """What a replay writes, by `apply_state` as the store would: a merged object's logbook
    and timeline go to the object it merged into."""

    def __init__(self) -> None:
        self.objects: dict[str, BusinessObject] = {}
        self.alias_index: dict[str, str] = {}
        self.logs: dict[str, list[LogEntry]] = {}
        self.timelines: dict[str, list[str]] = {}
        self.pending_deadlines: dict[str, ObjectDeadline] = {}

    async def objects_by_alias(self, aliases: list[str]) -> dict[str, str]:
        return {a: self.alias_index[a] for a in aliases if a in self.alias_index}

    async def apply_state(self, change: StateChange) -> bool:
        """Apply one change; a replay raises no events, so a change carries none."""
        assert change.receipt is None, "a rebuild raises no events while it replays"
        for object_id in change.removed:
            self.objects.pop(object_id, None)
            survivor = change.objects[0].id
            self.logs.setdefault(survivor, []).extend(self.logs.pop(object_id, []))
            self.timelines.setdefault(survivor, []).extend(self.timelines.pop(object_id, []))
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
        return True
