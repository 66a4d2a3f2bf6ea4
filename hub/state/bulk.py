"""Bulk transitions, the decisions and the tally: one target for many objects, in bundles.

As the business-rule batch job does, a bulk transition answers with a functional result: how
many objects moved, fell back or were refused, and why, grouped by reason. A refusal is an
outcome to report, never an error of the request. The tracker does the I/O (`StateTracker.bulk`);
what an object is matched by and how outcomes are counted is decided here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.filters import Filter
from hub.model import BusinessObject
from hub.state.transitions import TransitionDecision, TransitionOutcome

SAMPLE_KEYS = 10  # keys shown per reason


def view(obj: BusinessObject) -> dict[str, Any]:
    """What a bulk filter sees: the object's facts with its status, key and company."""
    shown = {**obj.facts, "status": obj.status, "state": obj.state, "reason": obj.reason,
             "key": obj.key}  # fmt: skip
    if obj.company is not None:
        shown["company"] = obj.company
    return shown


def selected(obj: BusinessObject, source: str | None, where: Filter | None) -> bool:
    return (source is None or obj.status == source) and (where is None or where.test(view(obj)))


@dataclass
class Reason:
    outcome: str
    message: str
    count: int = 0
    keys: list[str] = field(default_factory=list)


@dataclass
class BulkResult:
    """The functional result of a bulk transition."""

    dry_run: bool
    matched: int = 0
    applied: int = 0
    fallen_back: int = 0
    refused: int = 0
    bundles: int = 0
    reasons: dict[tuple[str, str], Reason] = field(default_factory=dict)

    def count(self, obj: BusinessObject, decision: TransitionDecision) -> None:
        self.matched += 1
        if decision.outcome in (TransitionOutcome.MOVED, TransitionOutcome.FORCED):
            self.applied += 1
            if decision.outcome is TransitionOutcome.MOVED:
                return
        elif decision.outcome is TransitionOutcome.FALLBACK:
            self.fallen_back += 1
        else:
            self.refused += 1
        why = (str(decision.outcome), decision.message or str(decision.outcome))
        reason = self.reasons.setdefault(why, Reason(*why))
        reason.count += 1
        if len(reason.keys) < SAMPLE_KEYS:
            reason.keys.append(obj.key)

    def render(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "matched": self.matched,
            "applied": self.applied,
            "fallen_back": self.fallen_back,
            "refused": self.refused,
            "bundles": self.bundles,
            "reasons": [
                {"outcome": r.outcome, "message": r.message, "count": r.count, "keys": r.keys}
                for r in sorted(self.reasons.values(), key=lambda r: -r.count)
            ],
        }
