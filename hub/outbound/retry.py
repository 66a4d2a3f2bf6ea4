"""Retry policy: when to try a failed delivery again. Pure functions; callers do the I/O.

The default schedule follows the delays Standard Webhooks senders use: the first attempt at
once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after each failure; each wait is
spread by ±10 % jitter so that a receiver coming back is not hit by a synchronized wave.
After the last attempt the delivery is `failed` (dead-lettered) and waits for a replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import StrEnum

DEFAULT_SCHEDULE: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_RETRY_AFTER = 86_400.0
THROTTLE_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """The schedule of attempt delays; ``schedule[0]`` is the delay of the first attempt.

    Attributes:
        schedule: delay in seconds before each attempt, measured from the previous failure.
        jitter: relative spread applied to every delay after the first (0.1 is ±10 %).
    """

    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    jitter: float = 0.1

    @property
    def max_attempts(self) -> int:
        return len(self.schedule)


class AttemptVerdict(StrEnum):
    SUCCEEDED = "succeeded"
    RETRY = "retry"
    FAILED = "failed"
    GONE = "gone"


@dataclass(frozen=True)
class RetryDecision:
    """What to do after an attempt. `next_attempt_at` is set only for `RETRY`."""

    verdict: AttemptVerdict
    next_attempt_at: float | None = None
    retry_index: int = 0


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(max(when - now, 0.0), MAX_RETRY_AFTER)


def decide_retry(
    status_code: int | None,
    retry_index: int,
    policy: RetryPolicy,
    now: float,
    spread: float,
    retry_after: float | None = None,
) -> RetryDecision:
    """Decide a delivery's fate after one attempt.

    Args:
        status_code: the response status, or None when no response arrived (network error).
        retry_index: position in the schedule of the attempt just made (0 for the first).
        policy: the subscription's retry policy.
        now: when the attempt ended.
        spread: a number in [-1, 1] scaling the jitter; callers pass a random one.
        retry_after: the receiver's Retry-After in seconds, honoured on 429 and 503.
    """
    if status_code is not None and 200 <= status_code < 300:
        return RetryDecision(AttemptVerdict.SUCCEEDED, retry_index=retry_index)
    if status_code == 410:
        return RetryDecision(AttemptVerdict.GONE, retry_index=retry_index)
    following = retry_index + 1
    if following >= policy.max_attempts:
        return RetryDecision(AttemptVerdict.FAILED, retry_index=retry_index)
    delay = policy.schedule[following] * (1 + policy.jitter * max(-1.0, min(1.0, spread)))
    if retry_after is not None and status_code in THROTTLE_STATUSES:
        delay = retry_after
    return RetryDecision(AttemptVerdict.RETRY, next_attempt_at=now + delay, retry_index=following)
