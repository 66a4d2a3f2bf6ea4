"""Transition decisions, pure: (rules, current status, trigger, context) -> what happens.

The tracker and the manual-transition API call `decide_transition` and write its outcome in
one commit; nothing here does I/O, so the rules are tested as tables.

For an event, the first transition (in file order) that the event triggers from the current
status and whose condition holds moves the object. A transition whose condition fails and that
declares a fallback moves the object there instead, with its message. Otherwise the event is
refused (a condition failed), not allowed (transitions exist for it, but none from here), or
of no concern (no transition mentions it). A manual transition names its target; only
transitions with ``on: manual`` allow it, never into a hidden status, and ``force`` takes it
although its condition fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hub.state.rules import MANUAL, Transition, TypeRules


class TransitionOutcome(StrEnum):
    BEGUN = "begun"  # a new object enters the begin status
    MOVED = "moved"
    FORCED = "forced"  # a manual move whose condition failed, taken by a force scope
    FALLBACK = "fallback"
    REFUSED = "refused"  # a condition failed and there is no fallback
    NOT_ALLOWED = "not_allowed"  # no transition for this trigger from the current status
    IGNORED = "ignored"  # nothing in the rules concerns this trigger, or it changes nothing
    STALE = "stale"  # older than what the object's source has already told us


CHANGES = (
    TransitionOutcome.BEGUN,
    TransitionOutcome.MOVED,
    TransitionOutcome.FORCED,
    TransitionOutcome.FALLBACK,
)


@dataclass(frozen=True)
class TransitionDecision:
    """What a trigger does to an object."""

    outcome: TransitionOutcome
    source: str | None
    target: str | None = None
    message: str | None = None
    emit: bool = True
    transition: Transition | None = None

    @property
    def changes(self) -> bool:
        return self.outcome in CHANGES and self.target != self.source


def begin(rules: TypeRules) -> TransitionDecision:
    """A new object: no status to the begin status, which always raises the event."""
    return TransitionDecision(
        TransitionOutcome.BEGUN, None, rules.begin, f"created in {rules.begin}"
    )


def decide_transition(
    rules: TypeRules, current: str, trigger: str, context: Mapping[str, Any]
) -> TransitionDecision:
    """What an event of type `trigger` does to an object in status `current`."""
    triggered = [t for t in rules.transitions if t.triggered_by(trigger)]
    if not triggered:
        return TransitionDecision(TransitionOutcome.IGNORED, current)
    candidates = [t for t in triggered if t.leaves(current)]
    if not candidates:
        return TransitionDecision(
            TransitionOutcome.NOT_ALLOWED,
            current,
            message=f"{trigger} does not move an object in {current}",
        )
    failed: Transition | None = None
    for transition in candidates:
        if transition.when is None or transition.when.test(context):
            if transition.to == current:
                return TransitionDecision(
                    TransitionOutcome.IGNORED, current, current, transition=transition
                )
            return _moved(TransitionOutcome.MOVED, current, transition, trigger)
        if transition.fallback is not None:
            return _fallback(current, transition)
        failed = failed or transition
    assert failed is not None
    return TransitionDecision(
        TransitionOutcome.REFUSED, current, failed.to, _why(failed), transition=failed
    )


def decide_manual(
    rules: TypeRules, current: str, target: str, context: Mapping[str, Any], force: bool
) -> TransitionDecision:
    """What asking for `target` by hand does; `force` only where the caller may force."""
    status = rules.statuses.get(target)
    if status is None:
        return TransitionDecision(
            TransitionOutcome.NOT_ALLOWED, current, target, f"{target!r} is not a status"
        )
    if status.hidden:
        return TransitionDecision(
            TransitionOutcome.NOT_ALLOWED, current, target, f"{target} cannot be chosen by hand"
        )
    allowed = [
        t for t in rules.transitions if t.to == target and MANUAL in t.on and t.leaves(current)
    ]
    if not allowed:
        return TransitionDecision(
            TransitionOutcome.NOT_ALLOWED,
            current,
            target,
            f"no manual transition from {current} to {target}",
        )
    first_failed: Transition | None = None
    for transition in allowed:
        if transition.when is None or transition.when.test(context):
            return _moved(TransitionOutcome.MOVED, current, transition, MANUAL)
        first_failed = first_failed or transition
    assert first_failed is not None
    if force:
        forced = _moved(TransitionOutcome.FORCED, current, first_failed, MANUAL)
        return TransitionDecision(
            forced.outcome,
            current,
            target,
            f"forced: {_why(first_failed)}",
            first_failed.emit,
            first_failed,
        )
    if first_failed.fallback is not None:
        return _fallback(current, first_failed)
    return TransitionDecision(
        TransitionOutcome.REFUSED, current, target, _why(first_failed), transition=first_failed
    )


def _moved(
    outcome: TransitionOutcome, current: str, transition: Transition, trigger: str
) -> TransitionDecision:
    message = transition.message if outcome is not TransitionOutcome.MOVED else None
    return TransitionDecision(
        outcome,
        current,
        transition.to,
        message or f"{trigger}: {current} to {transition.to}",
        transition.emit,
        transition,
    )


def _fallback(current: str, transition: Transition) -> TransitionDecision:
    return TransitionDecision(
        TransitionOutcome.FALLBACK,
        current,
        transition.fallback,
        _why(transition),
        transition.emit,
        transition,
    )


def _why(transition: Transition) -> str:
    return transition.message or f"the condition of the transition to {transition.to} failed"
