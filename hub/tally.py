"""A count that only grows, and waits for it to reach a number: how tests, tools and the
bench wait for the worker's attempts or the state tracker's events without sleeping."""

from __future__ import annotations

import asyncio
import heapq


class Tally:
    """A count that only grows, and the waits for it to reach a number."""

    def __init__(self) -> None:
        self.value = 0
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []

    def add(self, count: int = 1) -> None:
        self.value += count
        while self._waiters and self._waiters[0][0] <= self.value:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)

    async def reaches(self, count: int) -> None:
        if self.value >= count:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (count, id(future), future))
        await future
