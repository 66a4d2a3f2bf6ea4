"""Wake-ups for long-polling readers of the pull feed when events are committed."""

from __future__ import annotations

import asyncio
import contextlib


class Arrivals:
    """Wakes long-polling readers when events are committed (one process owns the store)."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()
        self.waiting = 0  # readers parked in `wait` (observable by tests and metrics)
        self.parked = asyncio.Event()  # set once any reader has parked

    def notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()  # readers that wait from now on wait for the next one

    def ticket(self) -> asyncio.Event:
        """Taken before a reader looks at the store, so a commit in between still wakes it."""
        return self._changed

    async def wait(self, ticket: asyncio.Event, seconds: float) -> None:
        self.waiting += 1
        self.parked.set()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ticket.wait(), max(seconds, 0.0))
        finally:
            self.waiting -= 1
