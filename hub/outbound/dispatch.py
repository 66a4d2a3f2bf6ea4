"""Per-subscription dispatch rules, decided purely: rate caps, in-flight caps, ordering.

The worker asks `admit` for each claimed delivery. A delivery that may not go now is not
failed and costs no attempt: it is postponed in the store to the time the rule names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MIN_WAIT = 0.05  # seconds: never postpone to "now", which would spin


@dataclass
class Bucket:
    """A token bucket: `rate` deliveries per second, bursts up to `rate` (at least one)."""

    rate: float
    tokens: float = field(default=0.0)
    at: float = field(default=0.0)
    primed: bool = False

    def take(self, now: float) -> float | None:
        """None if a delivery may go now (and takes its token), else when one will be free."""
        capacity = max(1.0, self.rate)
        if not self.primed:
            self.tokens, self.at, self.primed = capacity, now, True
        self.tokens = min(capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        return now + max(MIN_WAIT, (1.0 - self.tokens) / self.rate)


@dataclass
class Gate:
    """The live dispatch state of one subscription inside the worker."""

    bucket: Bucket | None = None
    in_flight: int = 0


def admit(gate: Gate, max_in_flight: int | None, now: float) -> float | None:
    """None when a delivery may start now (it is then counted in flight), else when to retry."""
    if max_in_flight is not None and gate.in_flight >= max_in_flight:
        return now + 1.0  # a slot frees when an attempt ends; the end also reschedules
    if gate.bucket is not None:
        later = gate.bucket.take(now)
        if later is not None:
            return later
    gate.in_flight += 1
    return None
