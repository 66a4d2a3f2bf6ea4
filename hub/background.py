"""The hub's background loops (the delivery worker; the state tracker, which also raises
missed deadlines), started, supervised and stopped by one helper, and reported by ``/readyz``.

A loop that raises is logged with its traceback and started again after a pause that doubles
up to `MAX_PAUSE`: a bug met by one odd row must not stop delivery until someone restarts the
hub, and what the loop owes is in the store, so a fresh start picks it up. A loop returns when
its owner asks it to stop (the owner's `stopping` event), and the pause before a restart ends
at once then too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum

log = logging.getLogger("hub.background")

FIRST_PAUSE = 1.0  # seconds before the first restart
MAX_PAUSE = 30.0


class TaskState(StrEnum):
    """How a background loop is, as ``/readyz`` reports it."""

    OFF = "off"  # never started (the state tracker without rules)
    RUNNING = "running"
    RESTARTING = "restarting"  # it raised; it starts again after a pause
    STOPPED = "stopped"


class BackgroundTask:
    """One supervised loop."""

    def __init__(
        self,
        name: str,
        run: Callable[[], Awaitable[None]],
        stopping: asyncio.Event,
        first_pause: float | None = None,
    ) -> None:
        self.name = name
        self._run, self._stopping = run, stopping
        self._first_pause = first_pause
        self._task: asyncio.Task[None] | None = None
        self._pausing = False
        self.crashes = 0

    @property
    def state(self) -> TaskState:
        if self._task is None:
            return TaskState.OFF
        if self._task.done():
            return TaskState.STOPPED
        return TaskState.RESTARTING if self._pausing else TaskState.RUNNING

    @property
    def alive(self) -> bool:
        """True while the loop runs (or waits out the pause before its restart)."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name=f"hub-{self.name}")

    async def stop(self, wake: asyncio.Event) -> None:
        """Ask the loop to stop, wake it from its wait (`wake`), and wait for it to end."""
        self._stopping.set()
        wake.set()
        await self.stopped()

    async def stopped(self) -> None:
        """Wait for the loop to end once its owner has set `stopping`."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _supervise(self) -> None:
        pause = FIRST_PAUSE if self._first_pause is None else self._first_pause
        while not self._stopping.is_set():
            try:
                await self._run()
                return
            except Exception:  # any bug: logged in full, then a fresh start
                self.crashes += 1
                log.exception("%s failed; it starts again in %g s", self.name, pause)
            self._pausing = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)
            self._pausing = False
            pause = min(max(pause * 2, FIRST_PAUSE), MAX_PAUSE)
