"""The embedded SQLite store (WAL, synchronous=FULL, group commit).

One hub process owns a database file: an exclusive lock file enforces it, which is what makes
releasing every lease at start-up safe. Writes go through one connection and the
`GroupCommitter`; reads use a second connection, which WAL lets run beside the writer.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import aiosqlite
import sqlalchemy.exc

import hub.store.documents as documents
import hub.store.events as events
import hub.store.receipts as receipts
import hub.store.rejections as rejections
from hub.errors import ConfigError, Conflict, StoreUnavailable
from hub.health import Health
from hub.model import (
    Attempt,
    AttemptRecord,
    Delivery,
    DeliveryFilter,
    DeliveryJob,
    Event,
    EventFilter,
    IngestResult,
    Page,
    Receipt,
    ReceiptStatus,
    Rejection,
)
from hub.store.base import MAX_PAGE, check_cursor, not_waiting, page
from hub.store.group_commit import GroupCommitter, Operation
from hub.store.schema import prepare, sqlite_url
from hub.store.sqlite_audit import SqliteAudit
from hub.store.sqlite_issues import SqliteIssues
from hub.store.sqlite_search import SqliteSearch
from hub.store.sqlite_sql import (
    CLAIM_DUE,
    CLAIM_SUBSCRIPTION,
    DELIVERY_COLUMNS,
    EVENT_COLUMNS,
    FIND_RECEIPT,
    LISTED_DELIVERY,
    ORDERED_HEAD,
    RELEASE_EXPIRED,
    delivery_listing,
    delivery_row,
    delivery_where,
    event_row,
)
from hub.store.sqlite_state import SqliteState
from hub.store.sqlite_writes import (
    IngestWrite,
    RecordWrite,
    insert_deliveries,
    insert_events,
    set_active,
)
from hub.store.statements import Compiled

DOCUMENTS = documents.for_dialect()
EVENTS = events.for_dialect()
RECEIPTS = receipts.for_dialect()
REJECTIONS = rejections.for_dialect()


def hold(path: Path) -> IO[str]:
    """Take the database's lock file, which one process holds while it uses the file; the
    caller closes the handle to let go.

    Raises:
        ConfigError: another process holds it.
    """
    handle = open(f"{path}.lock", "w")  # noqa: SIM115 - held until the caller closes it
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise ConfigError(f"{path}: another hub process is using this database") from None
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _leased(conn: sqlite3.Connection, select: str, params: Sequence[Any]) -> list[DeliveryJob]:
    """Lease the deliveries `select` names (its first parameter is the lease's end) and return
    them with their events, oldest due first."""
    rows = conn.execute(
        f"UPDATE deliveries SET lease_until = ? WHERE id IN ({select}) "
        f"RETURNING {DELIVERY_COLUMNS}",
        params,
    ).fetchall()
    deliveries = [delivery_row(r) for r in rows]
    if not deliveries:
        return []
    ids = sorted({d.event_id for d in deliveries})
    marks = ",".join("?" * len(ids))
    events = {
        row[0]: event_row(row)
        for row in conn.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE id IN ({marks})", ids)
    }
    deliveries.sort(key=lambda d: (d.next_attempt_at or 0, d.id))
    return [DeliveryJob(d, events[d.event_id]) for d in deliveries]


class SqliteStore(SqliteState, SqliteAudit, SqliteIssues, SqliteSearch):
    """`Store` on one SQLite file."""

    def __init__(
        self,
        path: str,
        busy_timeout_ms: int = 5000,
        commit_batch: int = 512,
        create_dir: bool = False,
        on_batch: Callable[[int], None] | None = None,
        migrate: bool = True,
    ) -> None:
        self.path = Path(path)
        self._migrate = migrate
        self._on_batch = on_batch
        self._create_dir = create_dir
        self._busy_timeout_ms = busy_timeout_ms
        self._commit_batch = commit_batch
        self._lock_file: IO[str] | None = None
        self._read: aiosqlite.Connection | None = None
        self._committer: GroupCommitter | None = None
        self._throwaway = False  # the directory goes when the store closes (`memory://`)

    @classmethod
    def throwaway(
        cls, commit_batch: int = 512, on_batch: Callable[[int], None] | None = None
    ) -> SqliteStore:
        """A store in a fresh temporary directory, removed on close (``memory://``)."""
        shm = Path("/dev/shm")
        where = tempfile.mkdtemp(prefix="hub-", dir=shm if shm.is_dir() else None)
        store = cls(str(Path(where) / "hub.db"), commit_batch=commit_batch, on_batch=on_batch)
        store._throwaway = True
        return store

    @property
    def committer(self) -> GroupCommitter:
        assert self._committer is not None, "store is not open"
        return self._committer

    async def open(self) -> None:
        if self._create_dir:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.parent.is_dir():
            raise ConfigError(
                f"{self.path}: the directory {str(self.path.parent)!r} does not exist"
            )
        self._lock()
        try:
            await prepare(sqlite_url(self.path), self._migrate)
        except sqlalchemy.exc.DBAPIError as exc:  # not a database, or not readable
            await self.close()
            raise ConfigError(f"{self.path}: cannot open database: {exc.orig}") from None
        except ConfigError:
            await self.close()
            raise
        self._committer = GroupCommitter(
            self.path, self._busy_timeout_ms, self._commit_batch, self._on_batch
        )
        try:
            await self._committer.start(self._setup)
            self._read = await aiosqlite.connect(self.path, isolation_level=None)
            await self._read.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
        except sqlite3.Error as exc:
            await self.close()
            raise ConfigError(f"{self.path}: cannot open database: {exc}") from None

    @staticmethod
    def _setup(conn: sqlite3.Connection) -> None:
        # One process owns the file (see _lock), so every lease left is a dead run's.
        conn.execute("UPDATE deliveries SET lease_until = NULL WHERE lease_until IS NOT NULL")

    def _lock(self) -> None:
        self._lock_file = hold(self.path)

    async def close(self) -> None:
        if self._committer is not None:
            await self._committer.stop()
            self._committer = None
        if self._read is not None:
            await self._read.close()
            self._read = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        if self._throwaway:
            shutil.rmtree(self.path.parent, ignore_errors=True)

    # reads -------------------------------------------------------------------------------

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        assert self._read is not None, "store is not open"
        try:
            async with self._read.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"the store cannot be read right now ({exc})") from None

    async def _rows(self, statement: Compiled, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """A compiled statement's rows, by column name."""
        assert self._read is not None, "store is not open"
        try:
            async with self._read.execute(statement.sql, statement.bind(values)) as cursor:
                names = [d[0] for d in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in await cursor.fetchall()]
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"the store cannot be read right now ({exc})") from None

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def ping(self) -> None:
        await self._one("SELECT 1")

    async def find_receipt(self, connector: str, sender_id: str) -> list[str] | None:
        row = await self._one(FIND_RECEIPT, (connector, sender_id))
        return None if row is None else list(json.loads(row[0]))

    async def list_rejections(self, cursor: str | None, limit: int) -> Page[Rejection]:
        limit = min(limit, MAX_PAGE)
        after = check_cursor(cursor)
        statement = REJECTIONS.after if after else REJECTIONS.first
        rows = await self._rows(statement, {"cursor": after, "limit": limit + 1})
        return page([rejections.rejection_of(r) for r in rows], limit)

    async def next_due(self) -> float | None:
        row = await self._one(
            "SELECT min(next_attempt_at) FROM deliveries INDEXED BY deliveries_due "
            "WHERE status = 'pending' AND lease_until IS NULL"
        )
        return None if row is None else row[0]

    async def backlog(self) -> tuple[int, float | None]:
        row = await self._one(
            "SELECT count(*), (SELECT created_at FROM deliveries INDEXED BY deliveries_status "
            "WHERE status = 'pending' ORDER BY id LIMIT 1) "
            "FROM deliveries INDEXED BY deliveries_status WHERE status = 'pending'"
        )
        return (0, None) if row is None else (int(row[0]), row[1])

    async def subscription_health(self) -> dict[str, Health]:
        rows = await self._all(
            "SELECT subscription_id, last_success_at, failing_since, failures "
            "FROM subscription_health"
        )
        return {str(r[0]): Health(r[1], r[2], int(r[3])) for r in rows}

    async def disabled_subscriptions(self) -> list[str]:
        rows = await self._all("SELECT subscription_id FROM subscription_states WHERE active = 0")
        return [r[0] for r in rows]

    async def get_event(self, event_id: str) -> Event | None:
        rows = await self._rows(EVENTS.get, {"event_id": event_id})
        return events.event_of(rows[0]) if rows else None

    async def list_events(self, where: EventFilter, cursor: str | None, limit: int) -> Page[Event]:
        limit = min(limit, MAX_PAGE)
        given = events.listing_values(where, cursor, limit + 1)
        rows = await self._rows(events.listing(frozenset(given)), given)
        return page([events.event_of(r) for r in rows], limit)

    async def events_after(self, cursor: str | None, limit: int) -> list[Event]:
        given = {"cursor": check_cursor(cursor) or "", "limit": min(limit, MAX_PAGE)}
        return [events.event_of(r) for r in await self._rows(EVENTS.after, given)]

    async def get_delivery(self, delivery_id: str) -> Delivery | None:
        row = await self._one(
            f"{LISTED_DELIVERY} FROM deliveries d LEFT JOIN events e ON e.id = d.event_id "
            "WHERE d.id = ?",
            (delivery_id,),
        )
        return None if row is None else delivery_row(row)

    async def list_deliveries(
        self, where: DeliveryFilter, cursor: str | None, limit: int
    ) -> Page[Delivery]:
        limit = min(limit, MAX_PAGE)
        sql, params = delivery_listing(where, cursor, limit + 1)
        rows = await self._all(sql, params)
        return page([delivery_row(r) for r in rows], limit)

    async def count_deliveries(self, where: DeliveryFilter) -> int:
        clauses, params = delivery_where(where)
        sql = "SELECT count(*) FROM deliveries"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        row = await self._one(sql, params)
        return int(row[0]) if row else 0

    async def list_attempts(self, delivery_id: str) -> list[Attempt]:
        rows = await self._all(
            "SELECT id, delivery_id, attempted_at, duration_ms, status_code, response_body, error, "
            "response_headers FROM attempts WHERE delivery_id = ? ORDER BY id",
            (delivery_id,),
        )
        return [
            Attempt(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]) if r[7] else None)
            for r in rows
        ]

    async def get_receipt(self, receipt_id: str) -> Receipt | None:
        rows = await self._rows(RECEIPTS.get, {"receipt_id": receipt_id})
        return receipts.receipt_of(rows[0]) if rows else None

    async def list_receipts(
        self, status: ReceiptStatus, cursor: str | None, limit: int
    ) -> Page[Receipt]:
        limit = min(limit, MAX_PAGE)
        after = check_cursor(cursor)
        statement = RECEIPTS.after if after else RECEIPTS.first
        given = {"status": str(status), "cursor": after, "limit": limit + 1}
        return page([receipts.receipt_of(r) for r in await self._rows(statement, given)], limit)

    async def list_documents(self, kind: str) -> list[tuple[str, str]]:
        rows = await self._rows(DOCUMENTS.of_kind, {"kind": kind})
        return [(str(r["id"]), str(r["doc"])) for r in rows]

    async def get_meta(self, key: str) -> str | None:
        rows = await self._rows(DOCUMENTS.get_meta, {"key": key})
        return None if not rows else str(rows[0]["value"])

    # writes: operations batched into shared transactions by the group committer -------

    async def _write(self, operation: Operation) -> Any:
        return await self.committer.submit(operation)

    async def ingest(
        self, receipt: Receipt, events: list[Event], deliveries: list[Delivery]
    ) -> IngestResult:
        result: IngestResult = await self._write(IngestWrite(receipt, events, deliveries))
        return result

    async def resolve_receipt(
        self, receipt_id: str, events: list[Event], deliveries: list[Delivery]
    ) -> bool:
        def operation(conn: sqlite3.Connection) -> bool:
            changed = conn.execute(
                "UPDATE receipts SET status = 'reprocessed', reason = NULL, event_ids = ? "
                "WHERE id = ? AND status = 'quarantined'",
                (json.dumps([e.id for e in events]), receipt_id),
            ).rowcount
            if not changed:
                return False  # someone else re-processed it first
            insert_events(conn, events)
            insert_deliveries(conn, deliveries)
            return True

        done: bool = await self._write(operation)
        return done

    async def add_deliveries(self, deliveries: list[Delivery]) -> None:
        await self._write(lambda conn: insert_deliveries(conn, deliveries))

    async def add_rejection(self, rejection: Rejection, keep: int) -> None:
        inserted = REJECTIONS.insert.bind(rejections.values(rejection))
        trimmed = REJECTIONS.trim.bind({"keep": keep})

        def operation(conn: sqlite3.Connection) -> None:
            conn.execute(REJECTIONS.insert.sql, inserted)
            conn.execute(REJECTIONS.trim.sql, trimmed)

        await self._write(operation)

    async def claim(self, now: float, limit: int, lease_until: float) -> list[DeliveryJob]:
        def operation(conn: sqlite3.Connection) -> list[DeliveryJob]:
            return _leased(conn, CLAIM_DUE, (lease_until, now, limit))

        jobs: list[DeliveryJob] = await self._write(operation)
        return jobs

    async def claim_subscription(
        self, subscription_id: str, due_by: float, limit: int, lease_until: float
    ) -> list[DeliveryJob]:
        def operation(conn: sqlite3.Connection) -> list[DeliveryJob]:
            params = (lease_until, subscription_id, due_by, limit)
            return _leased(conn, CLAIM_SUBSCRIPTION, params)

        jobs: list[DeliveryJob] = await self._write(operation)
        return jobs

    async def hold_ordered(
        self, delivery_id: str, subscription_id: str, subject: str, now: float, recheck: float
    ) -> bool:
        def operation(conn: sqlite3.Connection) -> bool:
            head = conn.execute(ORDERED_HEAD, (subject, subscription_id, delivery_id)).fetchone()
            if head is None:
                return False
            until = max(head[0] or now, now) + recheck
            conn.execute(
                "UPDATE deliveries SET next_attempt_at = ?, lease_until = NULL "
                "WHERE id = ? AND status = 'pending'",
                (until, delivery_id),
            )
            return True

        held: bool = await self._write(operation)
        return held

    async def record(self, record: AttemptRecord) -> None:
        await self._write(RecordWrite(record))

    async def release(self, delivery_ids: list[str]) -> None:
        if not delivery_ids:
            return
        marks = ",".join("?" * len(delivery_ids))
        sql = f"UPDATE deliveries SET lease_until = NULL WHERE id IN ({marks})"
        await self._write(lambda conn: conn.execute(sql, delivery_ids))

    async def blocked_subjects(
        self, subscription_id: str, limit: int
    ) -> list[tuple[str, str, int]]:
        rows = await self._all(
            "SELECT e.subject, MIN(d.id), COUNT(*) FROM deliveries d "
            "JOIN events e ON e.id = d.event_id WHERE d.subscription_id = ? "
            "AND d.status = 'pending' AND e.subject IS NOT NULL "
            "GROUP BY e.subject HAVING COUNT(*) > 1 ORDER BY MIN(d.id) LIMIT ?",
            (subscription_id, limit),
        )
        return [(str(r[0]), str(r[1]), int(r[2]) - 1) for r in rows]

    async def postpone(self, delivery_ids: list[str], until: float) -> None:
        marks = ",".join("?" * len(delivery_ids))
        sql = (
            f"UPDATE deliveries SET next_attempt_at = ?, lease_until = NULL WHERE id IN ({marks})"
            " AND status = 'pending'"
        )
        await self._write(lambda conn: conn.execute(sql, [until, *delivery_ids]))

    async def reschedule(self, subscription_id: str, at: float) -> int:
        sql = (
            "UPDATE deliveries SET next_attempt_at = ? WHERE subscription_id = ? "
            "AND status = 'pending' AND lease_until IS NULL"
        )
        count: int = await self._write(
            lambda conn: conn.execute(sql, (at, subscription_id)).rowcount
        )
        return count

    async def release_expired(self, now: float) -> int:
        def operation(conn: sqlite3.Connection) -> int:
            return conn.execute(RELEASE_EXPIRED, (now,)).rowcount

        count: int = await self._write(operation)
        return count

    async def set_subscription_active(
        self, subscription_id: str, active: bool, reason: str, now: float
    ) -> None:
        await self._write(lambda conn: set_active(conn, subscription_id, active, reason, now))

    async def replay(self, delivery_id: str, now: float) -> Delivery | None:
        def operation(conn: sqlite3.Connection) -> Delivery | None:
            row = conn.execute(
                "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, retry_index = 0, "
                f"updated_at = ? WHERE id = ? AND status != 'pending' RETURNING {DELIVERY_COLUMNS}",
                (now, now, delivery_id),
            ).fetchone()
            if row is not None:
                return delivery_row(row)
            if conn.execute("SELECT 1 FROM deliveries WHERE id = ?", (delivery_id,)).fetchone():
                raise Conflict(f"delivery {delivery_id} is already pending")
            return None

        result: Delivery | None = await self._write(operation)
        return result

    async def replay_many(self, where: DeliveryFilter, now: float, limit: int) -> int:
        clauses, params = delivery_where(where)
        clauses.append("status != 'pending'")
        sql = (
            "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, retry_index = 0, "
            "updated_at = ? WHERE id IN (SELECT id FROM deliveries WHERE "
            + " AND ".join(clauses)
            + " ORDER BY id LIMIT ?)"
        )
        count: int = await self._write(
            lambda conn: conn.execute(sql, [now, now, *params, limit]).rowcount
        )
        return count

    async def retry_now(self, delivery_id: str, now: float) -> Delivery | None:
        def operation(conn: sqlite3.Connection) -> Delivery | None:
            row = conn.execute(
                "UPDATE deliveries SET next_attempt_at = ?, updated_at = ? WHERE id = ? "
                f"AND status = 'pending' AND lease_until IS NULL RETURNING {DELIVERY_COLUMNS}",
                (now, now, delivery_id),
            ).fetchone()
            if row is not None:
                return delivery_row(row)
            found = conn.execute(
                f"SELECT {DELIVERY_COLUMNS}, lease_until FROM deliveries WHERE id = ?",
                (delivery_id,),
            ).fetchone()
            if found is None:
                return None
            raise Conflict(not_waiting(delivery_row(found[:12]), found[12] is not None))

        result: Delivery | None = await self._write(operation)
        return result

    async def retry_now_many(self, where: DeliveryFilter, now: float, limit: int) -> int:
        clauses, params = delivery_where(replace(where, due_after=now))
        sql = (
            "UPDATE deliveries SET next_attempt_at = ? WHERE id IN (SELECT id FROM deliveries "
            f"WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?)"
        )
        count: int = await self._write(
            lambda conn: conn.execute(sql, [now, *params, limit]).rowcount
        )
        return count

    async def put_document(self, kind: str, doc_id: str, doc: str) -> None:
        await self._run(DOCUMENTS.put, {"kind": kind, "id": doc_id, "doc": doc})

    async def delete_document(self, kind: str, doc_id: str) -> bool:
        return await self._run(DOCUMENTS.delete, {"kind": kind, "id": doc_id}) > 0

    async def set_meta(self, key: str, value: str) -> None:
        await self._run(DOCUMENTS.set_meta, {"key": key, "value": value})

    async def _run(self, statement: Compiled, values: Mapping[str, Any]) -> int:
        """One write statement through the group commit; the rows it changed."""
        params = statement.bind(values)
        count: int = await self._write(lambda conn: conn.execute(statement.sql, params).rowcount)
        return count
