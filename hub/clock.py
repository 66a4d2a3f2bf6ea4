"""Time, injectable: the hub reads the clock only through a `Clock`.

Tests pass a `ManualClock` so that retries scheduled hours ahead run as soon as the test advances
time, without sleeping through real backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """A source of the current time in Unix seconds."""

    def now(self) -> float: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told to; listeners hear every move.

    Example::

        clock = ManualClock(1_700_000_000)
        clock.advance(300)  # wakes the delivery worker through its listener
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds
        for listener in list(self._listeners):
            listener()

    def listen(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every `advance`."""
        self._listeners.append(listener)


def to_rfc3339(ts: float) -> str:
    """Format Unix seconds as RFC 3339 UTC with millisecond precision."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rfc3339_or_none(ts: float | None) -> str | None:
    """`to_rfc3339`, passing None through (for optional times in API documents)."""
    return None if ts is None else to_rfc3339(ts)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_duration(text: str) -> float | None:
    """Seconds in ``30m``, ``1h``, ``2d``, ``90s`` or ``1w``; None if it is not one."""
    number, unit = text[:-1], text[-1:].lower()
    if unit not in _UNITS or not number.isascii() or not number.isdigit():
        return None
    return int(number) * _UNITS[unit]


def parse_instant(text: str, now: float) -> float:
    """A point in time as admins write it: RFC 3339, Unix seconds, or a duration ago (``2d``).

    Raises:
        ValueError: it is none of these.
    """
    ago = parse_duration(text)
    if ago is not None:
        return now - ago
    try:
        value = float(text)
    except ValueError:
        return parse_rfc3339(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("not a time")
    return value


def parse_rfc3339(text: str) -> float:
    """Parse an RFC 3339 timestamp (a zone is required) into Unix seconds.

    Raises:
        ValueError: the text is not an RFC 3339 date-time with a zone.
    """
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("timestamp has no time zone")
    return parsed.timestamp()
