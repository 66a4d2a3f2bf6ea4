"""Endpoint health: the last success, the current run of failures, and when to give up.

A subscription whose every attempt has failed for ``HUB_DISABLE_AFTER`` seconds (five days by
default) is disabled, as Svix and Hookdeck do, so a dead endpoint stops costing retries. The
decision is a pure function of the recorded health and the time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

DEFAULT_DISABLE_AFTER = 5 * 86_400.0


@dataclass(frozen=True)
class Health:
    """What the attempts of one subscription say about its endpoint."""

    last_success_at: float | None = None
    failing_since: float | None = None  # the first failure after the last success
    failures: int = 0  # consecutive failed attempts

    def after(self, succeeded: bool, at: float) -> Health:
        """The health once one more attempt is known."""
        if succeeded:
            return Health(last_success_at=at)
        return replace(
            self,
            failing_since=self.failing_since if self.failing_since is not None else at,
            failures=self.failures + 1,
        )


def should_disable(health: Health, now: float, disable_after: float) -> bool:
    """True when every attempt has failed for at least `disable_after` seconds."""
    return health.failing_since is not None and now - health.failing_since >= disable_after


def fold(attempts: list[tuple[str, bool, float]]) -> dict[str, tuple[bool, Health]]:
    """Per subscription, the health a run of attempts leaves, and whether it started afresh
    (a success) or continues the stored one: ``(subscription, succeeded, at)`` in order."""
    found: dict[str, tuple[bool, Health]] = {}
    for subscription_id, succeeded, at in attempts:
        fresh, health = found.get(subscription_id, (False, Health()))
        found[subscription_id] = (fresh or succeeded, health.after(succeeded, at))
    return found
