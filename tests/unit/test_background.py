"""Background loops: a loop that raises starts again after a pause; stopping cuts the pause."""

from __future__ import annotations

import asyncio

from hub.background import BackgroundTask, TaskState


async def test_a_failing_loop_is_started_again_and_stops_when_asked() -> None:
    stopping, again = asyncio.Event(), asyncio.Event()
    runs: list[int] = []

    async def run() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("first run fails")
        again.set()
        await stopping.wait()

    task = BackgroundTask("loop", run, stopping, first_pause=0.0)
    assert task.state is TaskState.OFF
    task.start()
    await again.wait()
    assert task.crashes == 1 and task.state is TaskState.RUNNING
    stopping.set()
    await task.stopped()
    assert task.state is TaskState.STOPPED and runs == [0, 1]


async def test_stopping_ends_the_pause_before_a_restart_at_once() -> None:
    stopping, failed = asyncio.Event(), asyncio.Event()

    async def run() -> None:
        failed.set()  # the supervisor takes the error before this test runs again
        raise RuntimeError("always")

    task = BackgroundTask("loop", run, stopping, first_pause=3600.0)
    task.start()
    await failed.wait()
    assert task.state is TaskState.RESTARTING and task.alive
    stopping.set()
    await asyncio.wait_for(task.stopped(), 5)  # not an hour
    assert task.state is TaskState.STOPPED and task.crashes == 1
