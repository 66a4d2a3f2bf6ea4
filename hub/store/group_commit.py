"""Group commit: many concurrent writers share one transaction and one fsync.

With ``synchronous=FULL`` every COMMIT costs an fsync, and commits serialize: one row per
commit caps ingest near 4,000/s on our machines (`shared/baselines.md`). Here every write is
an operation queued to one task, which runs whatever has queued up in a single transaction and
resolves each caller once the COMMIT has returned, so a caller's 2xx always follows its fsync.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiosqlite

from hub.errors import StoreUnavailable

log = logging.getLogger("hub.store")

Operation = Callable[[aiosqlite.Connection], Awaitable[Any]]


@dataclass
class _Pending:
    operation: Operation
    future: asyncio.Future[Any]


class GroupCommitter:
    """Runs queued write operations in shared transactions on one connection."""

    def __init__(self, conn: aiosqlite.Connection, max_batch: int) -> None:
        self._conn = conn
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.largest_batch = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="hub-group-commit")

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        await self._queue.join()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def submit(self, operation: Operation) -> Any:
        """Run `operation` in the next shared transaction and return its result once committed.

        Raises:
            StoreUnavailable: the transaction could not be committed.
        """
        if self._task is None or self._task.done():
            raise StoreUnavailable("the store is not accepting writes")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(operation, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit(self, batch: list[_Pending]) -> None:
        self.batches += 1
        self.largest_batch = max(self.largest_batch, len(batch))
        try:
            await self._conn.execute("BEGIN IMMEDIATE")
            results = [await item.operation(self._conn) for item in batch]
            await self._conn.commit()
        except sqlite3.OperationalError as exc:
            # Locked, busy, disk full, I/O error: nothing in this batch is durable.
            await self._rollback()
            log.warning("store write failed, answering 503: %s", exc)
            self._fail(batch, StoreUnavailable(f"the store cannot commit right now ({exc})"))
        except Exception as exc:
            await self._rollback()
            if len(batch) == 1:
                self._fail(batch, exc)
                return
            # One operation is at fault; rerun each alone so the others still commit.
            for item in batch:
                await self._commit([item])
        else:
            for item, result in zip(batch, results, strict=True):
                if not item.future.done():
                    item.future.set_result(result)

    async def _rollback(self) -> None:
        try:
            await self._conn.rollback()
        except sqlite3.Error:
            log.exception("rollback failed")

    @staticmethod
    def _fail(batch: list[_Pending], exc: BaseException) -> None:
        for item in batch:
            if not item.future.done():
                item.future.set_exception(exc)
