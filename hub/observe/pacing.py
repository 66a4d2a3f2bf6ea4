"""Pacing repeated log lines: a retry storm must not become a log storm.

The first line of a kind (say, a subscription's attempts failing with 503) is written in full;
the rest within the interval are only counted, and one summary line per interval gives the
count ("erp-orders: 1,412 attempts failed with HTTP 503 in the last 10 s"). The issue that
groups those failures already carries the detail; the log says that it goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_INTERVAL = 10.0


@dataclass(frozen=True)
class Summary:
    """Lines of one kind held back during an interval."""

    key: tuple[str, ...]
    count: int
    seconds: float


class Pacer:
    """Decides which lines of a repeated kind are written and summarizes the rest.

    Time is whatever `now` says (monotonic seconds), so tests drive it without sleeping.
    """

    def __init__(self, now: Callable[[], float], interval: float = DEFAULT_INTERVAL) -> None:
        self._now = now
        self._interval = interval
        self._windows: dict[tuple[str, ...], tuple[float, int]] = {}  # key -> (window start, held)

    def admit(self, key: tuple[str, ...]) -> bool:
        """True if this line should be written in full; False if it was counted."""
        window = self._windows.get(key)
        if window is None:
            self._windows[key] = (self._now(), 0)
            return True
        self._windows[key] = (window[0], window[1] + 1)
        return False

    def due(self) -> list[Summary]:
        """Summaries of the windows that have ended. A kind that still repeats keeps counting
        into a new window (a summary per interval, no full line); one that went quiet is
        forgotten, so its next line is written in full."""
        now = self._now()
        ended: list[Summary] = []
        for key, (start, held) in list(self._windows.items()):
            if now - start < self._interval:
                continue
            if held:
                ended.append(Summary(key, held, now - start))
                self._windows[key] = (now, 0)
            else:
                del self._windows[key]
        return ended

    def drain(self) -> list[Summary]:
        """Summaries of every window still holding lines, ended now (at shutdown)."""
        now = self._now()
        held = [Summary(key, count, now - start)
                for key, (start, count) in self._windows.items() if count]  # fmt: skip
        self._windows.clear()
        return held
