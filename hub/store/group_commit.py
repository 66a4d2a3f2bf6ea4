"""Group commit: many concurrent writers share one transaction and one fsync.

With ``synchronous=FULL`` every COMMIT costs an fsync, and commits serialize: one row per
commit caps ingest near 4,000/s on our machines (`shared/baselines.md`). Here every write is
an operation queued to one task, which runs whatever has queued up as a single transaction and
resolves each caller once the COMMIT has returned, so a caller's 2xx always follows its fsync.

The statements run on the event loop, where the write lock is already held; only the wait for
that lock and the COMMIT (the fsync) go to the writer thread. Run on the thread, each row's
``sqlite3_step`` handed the GIL back and forth with the busy loop (measured: 4.8 ms for 25
requests). Operations that come in numbers (ingest, attempt records) are `Batchable`: a run of
them is applied with one `executemany` per table. See BENCHMARKS.md for the figures.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

from hub.errors import StoreUnavailable

log = logging.getLogger("hub.store")


class Batchable(Protocol):
    """A write whose consecutive instances in a batch are applied together."""

    @classmethod
    def apply_batch(cls, conn: sqlite3.Connection, items: list[Any]) -> list[Any]:
        """Apply every item; return one result per item, in order."""
        ...


Operation = Callable[[sqlite3.Connection], Any] | Batchable


def runs(operations: list[Operation]) -> list[list[Operation]]:
    """Split into runs of consecutive same-type batchables; every plain function runs alone."""
    grouped: list[list[Operation]] = []
    for operation in operations:
        previous = grouped[-1][0] if grouped else None
        if _batchable(operation) and type(previous) is type(operation):
            grouped[-1].append(operation)
        else:
            grouped.append([operation])
    return grouped


def _batchable(operation: Operation) -> bool:
    # hasattr, not isinstance: a runtime-checkable Protocol check costs microseconds per call.
    return hasattr(operation, "apply_batch")


def apply(conn: sqlite3.Connection, run: list[Operation]) -> list[Any]:
    first = run[0]
    if _batchable(first):
        return type(cast(Batchable, first)).apply_batch(conn, run)
    assert len(run) == 1 and callable(first)
    return [first(conn)]


@dataclass
class _Pending:
    operation: Operation
    future: asyncio.Future[Any]


@dataclass
class _Outcome:
    value: Any = None
    error: BaseException | None = None


class GroupCommitter:
    """Owns the write connection and its thread; runs queued operations in shared transactions."""

    def __init__(
        self,
        path: Path,
        busy_timeout_ms: int,
        max_batch: int,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self._on_batch = on_batch
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._max_batch = max_batch
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="hub-sqlite-writer")
        self._conn: sqlite3.Connection | None = None
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.largest_batch = 0

    async def start(self, setup: Callable[[sqlite3.Connection], Any]) -> None:
        """Open the connection on the writer thread, run `setup` once, then serve the queue."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._open, setup)
        self._task = asyncio.create_task(self._run(), name="hub-group-commit")

    def _open(self, setup: Callable[[sqlite3.Connection], Any]) -> None:
        # Used from the loop and the writer thread, never at the same time (see _commit).
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        setup(conn)
        conn.execute("PRAGMA busy_timeout=0")  # from now on, waits happen only in _patiently
        self._conn = conn

    async def stop(self) -> None:
        """Finish what is queued, then close the connection and the thread."""
        if self._task is not None:
            await self._queue.join()
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
        self._executor.shutdown(wait=True)

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
            self.batches += 1
            self.largest_batch = max(self.largest_batch, len(batch))
            if self._on_batch is not None:
                self._on_batch(len(batch))
            try:
                outcomes = await self._commit([item.operation for item in batch])
            except asyncio.CancelledError:
                # Stopped mid-commit: the batch may or may not have landed, so no caller may
                # answer 2xx; a sender's retry then meets its own receipt and gets a 200.
                failure = _Outcome(error=StoreUnavailable("the store is shutting down"))
                self._finish(batch, [failure] * len(batch))
                raise
            self._finish(batch, outcomes)

    def _finish(self, batch: list[_Pending], outcomes: list[_Outcome]) -> None:
        for item, outcome in zip(batch, outcomes, strict=True):
            self._settle(item.future, outcome)
            self._queue.task_done()

    @staticmethod
    def _settle(future: asyncio.Future[Any], outcome: _Outcome) -> None:
        if future.done():
            return
        if outcome.error is not None:
            future.set_exception(outcome.error)
        else:
            future.set_result(outcome.value)

    async def _on_thread(self, sql: str) -> None:
        """Run a statement on the writer thread, waiting for locks up to busy_timeout."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._patiently, sql)

    def _patiently(self, sql: str) -> None:
        conn = self._conn
        assert conn is not None
        conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
        try:
            conn.execute(sql)
        finally:
            conn.execute("PRAGMA busy_timeout=0")

    async def _begin(self) -> None:
        """Take the write lock: at once on the loop when it is free, else wait on the thread.

        A round trip to the thread costs a loop iteration each way, and under load that was
        7 ms per batch (measured), for a lock that is almost always free.
        """
        conn = self._conn
        assert conn is not None
        try:
            conn.execute("BEGIN IMMEDIATE")  # busy_timeout is 0 here: never blocks the loop
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            await self._on_thread("BEGIN IMMEDIATE")

    async def _commit(self, operations: list[Operation]) -> list[_Outcome]:
        """One transaction for the batch: statements here, lock wait and COMMIT on the thread."""
        conn = self._conn
        assert conn is not None
        try:
            await self._begin()
            values = [value for run in runs(operations) for value in apply(conn, run)]
            await self._on_thread("COMMIT")
        except sqlite3.OperationalError as exc:
            # Locked, busy, disk full, I/O error: nothing in this batch is durable.
            await self._rollback()
            log.warning("store write failed, answering 503: %s", exc)
            failure = StoreUnavailable(f"the store cannot commit right now ({exc})")
            return [_Outcome(error=failure) for _ in operations]
        except Exception as exc:
            await self._rollback()
            if len(operations) == 1:
                return [_Outcome(error=exc)]
            # One operation is at fault; rerun each alone so the others still commit.
            return [(await self._commit([operation]))[0] for operation in operations]
        return [_Outcome(value=value) for value in values]

    async def _rollback(self) -> None:
        conn = self._conn
        if conn is not None and conn.in_transaction:
            try:
                await self._on_thread("ROLLBACK")
            except sqlite3.Error:
                log.exception("rollback failed")
