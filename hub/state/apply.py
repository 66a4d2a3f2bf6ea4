"""What one event does to its business object, decided without I/O.

`apply_event` takes the event, the objects that already hold its aliases (looked up by the
tracker) and the time, and answers the object as it will be, the objects merged into it, the
logbook lines, the status events to raise and the deadline to keep. The tracker writes the
answer in one transaction; a manual transition goes through `apply_manual` the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hub.clock import to_rfc3339
from hub.ids import new_id
from hub.model import BusinessObject, CanonicalEvent, Event, LogEntry, ObjectDeadline
from hub.state import correlate, facts
from hub.state.rules import Rules, TypeRules
from hub.state.transitions import (
    TransitionDecision,
    TransitionOutcome,
    begin,
    decide_manual,
    decide_transition,
)

IdMaker = Callable[[str], str]


@dataclass
class Applied:
    """The outcome of one trigger, ready to be written."""

    object: BusinessObject | None = None
    removed: list[str] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)
    emitted: list[CanonicalEvent] = field(default_factory=list)
    deadline: ObjectDeadline | None = None
    clear_deadline: bool = False
    decisions: list[TransitionDecision] = field(default_factory=list)


def _fresh(rules: TypeRules, key: str, now: float, make_id: IdMaker) -> BusinessObject:
    status = rules.status(rules.begin)
    return BusinessObject(
        make_id("obj"), rules.name, key, status.name, status.state, status.reason, now, now, now
    )


def _merged(objects: list[BusinessObject]) -> BusinessObject:
    """Several objects that turn out to be one: the oldest keeps its status; facts, sources and
    aliases are folded in id order, so the newest fact wins."""
    survivor = objects[0]
    folded_facts: dict[str, Any] = {}
    sources: dict[str, list[Any]] = {}
    for obj in objects:
        folded_facts |= obj.facts
        for name, position in obj.sources.items():
            if name not in sources or position[1:] > sources[name][1:]:
                sources[name] = position
    aliases = sorted({a for obj in objects for a in obj.aliases})
    company = next((o.company for o in objects if o.company), None)
    return replace(
        survivor, facts=folded_facts, sources=sources, aliases=tuple(aliases), company=company
    )


def status_event(
    obj: BusinessObject,
    decision: TransitionDecision,
    trigger: str,
    event: Event | None,
    created_by: str | None,
    now: float,
) -> CanonicalEvent:
    """``<type>.status_changed``, with the fields of the business-rule event."""
    data = {
        "object_type": obj.type,
        "reference_key": obj.key,
        "references": references(obj.aliases),
        "from_status": decision.source,
        "to_status": obj.status,
        "state": obj.state,
        "reason": obj.reason,
        "outcome": str(decision.outcome),
        "log_message": decision.message,
        "trigger": trigger,
        "trigger_event_id": event.id if event is not None else None,
        "created_by": created_by,
        "legal_entity": obj.company,
    }
    return CanonicalEvent(
        f"{obj.type}.status_changed", now, data, f"{obj.type}/{obj.key}", obj.company
    )


def overdue_event(obj: BusinessObject, deadline: ObjectDeadline) -> CanonicalEvent:
    data = {
        "object_type": obj.type,
        "reference_key": obj.key,
        "references": references(obj.aliases),
        "status": obj.status,
        "state": obj.state,
        "reason": obj.reason,
        "since": to_rfc3339(deadline.since),
        "due_at": to_rfc3339(deadline.due_at),
        "deadline_seconds": deadline.due_at - deadline.since,
        "legal_entity": obj.company,
    }
    return CanonicalEvent(
        deadline.emit, deadline.due_at, data, f"{obj.type}/{obj.key}", obj.company
    )


def references(aliases: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The aliases as references (``{system: {kind: id}}``), the subject left out."""
    found: dict[str, dict[str, str]] = {}
    for alias in aliases:
        kind, _, value = alias.partition(":")
        system, _, name = kind.partition(".")
        if name:
            found.setdefault(system, {})[name] = value
    return found


class _Step:
    """Applies decisions to an object in order, collecting what must be written."""

    def __init__(
        self,
        rules: TypeRules,
        obj: BusinessObject,
        now: float,
        make_id: IdMaker,
        applied: Applied,
        trigger: str,
        event: Event | None,
        created_by: str | None,
        manual: bool,
    ) -> None:
        self.rules, self.obj, self.now, self.make_id = rules, obj, now, make_id
        self.applied, self.trigger, self.event = applied, trigger, event
        self.created_by, self.manual = created_by, manual

    def logged(self, decision: TransitionDecision) -> bool:
        if not self.manual and self.rules.log == "manual":
            return False
        if self.rules.level == "errors":
            return decision.outcome in (
                TransitionOutcome.FALLBACK,
                TransitionOutcome.REFUSED,
                TransitionOutcome.NOT_ALLOWED,
                TransitionOutcome.STALE,
                TransitionOutcome.FORCED,
            )
        return decision.outcome is not TransitionOutcome.IGNORED

    def take(self, decision: TransitionDecision) -> None:
        self.applied.decisions.append(decision)
        if self.logged(decision):
            self.applied.log.append(
                LogEntry(
                    self.make_id("log"),
                    self.obj.id,
                    self.now,
                    self.trigger,
                    str(decision.outcome),
                    decision.source,
                    decision.target,
                    decision.message,
                    self.event.id if self.event is not None else None,
                    self.created_by,
                )
            )
        if not decision.changes or decision.target is None:
            return
        status = self.rules.status(decision.target)
        self.obj = replace(
            self.obj,
            status=status.name,
            state=status.state,
            reason=status.reason,
            since=self.now,
            updated_at=self.now,
        )
        self.applied.clear_deadline = True
        self.applied.deadline = None
        if status.deadline is not None:
            self.applied.deadline = ObjectDeadline(
                self.obj.id,
                status.name,
                self.now,
                self.now + status.deadline.after,
                status.deadline.emit,
            )
        if decision.emit:
            self.applied.emitted.append(
                status_event(
                    self.obj, decision, self.trigger, self.event, self.created_by, self.now
                )
            )


def apply_event(
    rules: Rules,
    event: Event,
    data: Mapping[str, Any],
    known: list[BusinessObject],
    now: float,
    make_id: IdMaker = new_id,
) -> Applied:
    """What an event does to its object (`known`: the objects holding its aliases, by id)."""
    object_type = rules.object_type(event.type)
    if object_type is None:
        return Applied()
    type_rules = rules.types[object_type]
    aliases = correlate.aliases_of(data, event.subject, object_type, rules.links)
    fresh = not known
    if not aliases or (fresh and not correlate.creates(object_type, aliases)):
        return Applied()
    applied = Applied(removed=[o.id for o in known[1:]])
    if fresh:
        key = correlate.key_of(object_type, event.subject, aliases, data)
        obj = _fresh(type_rules, key, now, make_id)
    else:
        obj = _merged(known)
    obj = replace(obj, aliases=tuple(sorted({*obj.aliases, *aliases})), updated_at=now)
    if obj.company is None:
        # Before any status event: every one of them carries the object's company, the first
        # included (a partner sees an object's events by its company).
        obj = replace(obj, company=_text(data.get("company")) or event.company)
    order = facts.source_order(event.connector, data, event.time)
    step = _Step(
        type_rules, obj, now, make_id, applied, event.type, event, event.connector, manual=False
    )
    if fresh:
        step.take(begin(type_rules))
    if facts.stale(obj.sources, order):
        step.take(
            TransitionDecision(
                TransitionOutcome.STALE,
                step.obj.status,
                None,
                f"{event.type} is older than what {event.connector} told before",
            )
        )
        # It moves no status, but what it says that nothing newer contradicts is kept.
        applied.object = replace(step.obj, facts=facts.fold_under(step.obj.facts, data))
        return applied
    step.obj = replace(
        step.obj,
        facts=facts.fold(step.obj.facts, data),
        company=_text(data.get("company")) or event.company or step.obj.company,
        sources=facts.remember(step.obj.sources, order),
    )
    step.take(decide_transition(type_rules, step.obj.status, event.type, context(step.obj, data)))
    applied.object = step.obj
    return applied


def apply_manual(
    rules: TypeRules,
    obj: BusinessObject,
    target: str,
    message: str | None,
    force: bool,
    created_by: str,
    now: float,
    make_id: IdMaker = new_id,
) -> Applied:
    """What asking for `target` by hand does; logged whatever the outcome."""
    applied = Applied()
    step = _Step(rules, obj, now, make_id, applied, "manual", None, created_by, manual=True)
    decision = decide_manual(rules, obj.status, target, context(obj, {}), force)
    if message and decision.outcome in (TransitionOutcome.MOVED, TransitionOutcome.FORCED):
        decision = replace(decision, message=message)
    step.take(decision)
    applied.object = step.obj
    return applied


def context(obj: BusinessObject, data: Mapping[str, Any]) -> dict[str, Any]:
    """What a condition sees: the event's data, and the object's facts with its status (an
    unknown company is absent, so that ``$exists`` tells)."""
    known = {**obj.facts, "status": obj.status, "key": obj.key}
    if obj.company is not None:
        known["company"] = obj.company
    return {"event": dict(data), "object": known}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
