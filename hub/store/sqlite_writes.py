"""The SQLite store's batched writes: many requests' rows in one executemany per table.

`GroupCommitter` hands each batch of `IngestWrite` or `RecordWrite` items to ``apply_batch``,
inside the transaction it will commit, so one fsync acknowledges them all.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from hub.health import fold
from hub.model import AttemptRecord, Delivery, Event, IngestResult, Receipt
from hub.store.sqlite_sql import (
    DELIVERY_COLUMNS,
    EVENT_COLUMNS,
    RECEIPT_COLUMNS,
    RELEASE_SUBJECT,
    receipt_values,
)


@dataclass(frozen=True)
class IngestWrite:
    """One accepted request: its receipt, events and deliveries."""

    receipt: Receipt
    events: list[Event]
    deliveries: list[Delivery]

    @classmethod
    def apply_batch(cls, conn: sqlite3.Connection, items: list[IngestWrite]) -> list[IngestResult]:
        """Insert many receipts at once; a sender id seen before (or earlier in the batch)
        yields the original event ids and writes nothing."""
        seen = _known_receipts(conn, items)
        results: list[IngestResult] = []
        fresh: list[IngestWrite] = []
        for item in items:
            key = (item.receipt.connector, item.receipt.sender_id)
            if item.receipt.sender_id is not None and key in seen:
                results.append(IngestResult(seen[key], duplicate=True))
                continue
            event_ids = [e.id for e in item.events]
            if item.receipt.sender_id is not None:
                seen[key] = event_ids
            fresh.append(item)
            results.append(IngestResult(event_ids, duplicate=False))
        conn.executemany(
            f"INSERT INTO receipts ({RECEIPT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [receipt_values(i.receipt, [e.id for e in i.events]) for i in fresh],
        )
        insert_events(conn, [e for i in fresh for e in i.events])
        insert_deliveries(conn, [d for i in fresh for d in i.deliveries])
        return results


@dataclass(frozen=True)
class RecordWrite:
    """One attempt and its delivery's next state; a run of them is one executemany each."""

    record: AttemptRecord

    @classmethod
    def apply_batch(cls, conn: sqlite3.Connection, items: list[RecordWrite]) -> list[None]:
        records = [i.record for i in items]
        conn.executemany(
            "INSERT INTO attempts (id, delivery_id, attempted_at, duration_ms, status_code, "
            "response_body, error, response_headers) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (r.attempt.id, r.attempt.delivery_id, r.attempt.attempted_at,
                 r.attempt.duration_ms, r.attempt.status_code, r.attempt.response_body,
                 r.attempt.error, _json_or_none(r.attempt.response_headers))
                for r in records
            ],
        )  # fmt: skip
        conn.executemany(
            "UPDATE deliveries SET status = ?, next_attempt_at = ?, retry_index = ?, "
            "attempts = attempts + 1, lease_until = NULL, last_status_code = ?, "
            "last_error = ?, updated_at = ? WHERE id = ?",
            [
                (str(r.status), r.next_attempt_at, r.retry_index, r.attempt.status_code,
                 r.attempt.error or r.disable_reason, r.attempt.attempted_at,
                 r.attempt.delivery_id)
                for r in records
            ],
        )  # fmt: skip
        _record_health(conn, records)
        released = [
            (r.attempt.attempted_at, r.subscription_id, r.attempt.attempted_at, r.release_subject)
            for r in records if r.release_subject is not None
        ]  # fmt: skip
        if released:
            conn.executemany(RELEASE_SUBJECT, released)
        for r in records:
            if r.disable_subscription is not None:
                set_active(conn, r.disable_subscription, False,
                            r.disable_reason or "disabled", r.attempt.attempted_at)  # fmt: skip
        return [None] * len(records)


def _known_receipts(
    conn: sqlite3.Connection, items: list[IngestWrite]
) -> dict[tuple[str, str | None], list[str]]:
    """Event ids of receipts already stored for the batch's sender ids, in one query each."""
    wanted: dict[str, set[str]] = {}
    for item in items:
        if item.receipt.sender_id is not None:
            wanted.setdefault(item.receipt.connector, set()).add(item.receipt.sender_id)
    found: dict[tuple[str, str | None], list[str]] = {}
    for connector, sender_ids in wanted.items():
        marks = ",".join("?" * len(sender_ids))
        for sender_id, ids in conn.execute(
            "SELECT sender_id, event_ids FROM receipts INDEXED BY receipts_sender "
            f"WHERE connector = ? AND sender_id IN ({marks})",
            [connector, *sender_ids],
        ):
            found[(connector, sender_id)] = list(json.loads(ids))
    return found


def _record_health(conn: sqlite3.Connection, records: list[AttemptRecord]) -> None:
    """One upsert per subscription for a batch: a success in the batch starts its health
    afresh; a run of failures extends the stored one."""
    runs = fold([(r.subscription_id, r.succeeded, r.attempt.attempted_at)
                 for r in records if r.subscription_id is not None])  # fmt: skip
    fresh = [(sub, h.last_success_at, h.failing_since, h.failures)
             for sub, (restart, h) in runs.items() if restart]  # fmt: skip
    more = [(sub, h.failing_since, h.failures)
            for sub, (restart, h) in runs.items() if not restart]  # fmt: skip
    conn.executemany(
        "INSERT INTO subscription_health (subscription_id, last_success_at, failing_since, "
        "failures) VALUES (?, ?, ?, ?) ON CONFLICT (subscription_id) DO UPDATE SET "
        "last_success_at = excluded.last_success_at, failing_since = excluded.failing_since, "
        "failures = excluded.failures",
        fresh,
    )
    conn.executemany(
        "INSERT INTO subscription_health (subscription_id, failing_since, failures) "
        "VALUES (?, ?, ?) ON CONFLICT (subscription_id) DO UPDATE SET "
        "failing_since = coalesce(failing_since, excluded.failing_since), "
        "failures = failures + excluded.failures",
        more,
    )


def insert_events(conn: sqlite3.Connection, events: list[Event]) -> None:
    conn.executemany(
        f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            (e.id, e.type, e.source, e.connector, e.subject, e.company, e.time,
             e.received_at, e.schema_version, e.receipt_id, e.data_json)
            for e in events
        ],
    )  # fmt: skip


def insert_deliveries(conn: sqlite3.Connection, deliveries: list[Delivery]) -> None:
    conn.executemany(
        f"INSERT INTO deliveries ({DELIVERY_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (d.id, d.event_id, d.subscription_id, d.event_type, str(d.status), d.created_at,
             d.updated_at, d.next_attempt_at, d.attempts, d.retry_index,
             d.last_status_code, d.last_error)
            for d in deliveries
        ],
    )  # fmt: skip


def set_active(
    conn: sqlite3.Connection, subscription_id: str, active: bool, reason: str, now: float
) -> None:
    conn.execute(
        "INSERT INTO subscription_states (subscription_id, active, reason, changed_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (subscription_id) DO UPDATE SET "
        "active = excluded.active, reason = excluded.reason, changed_at = excluded.changed_at",
        (subscription_id, int(active), reason, now),
    )
    if not active:
        conn.execute(
            "UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, "
            "last_error = ?, updated_at = ? WHERE subscription_id = ? "
            "AND status = 'pending' AND lease_until IS NULL",
            (f"subscription disabled: {reason}", now, subscription_id),
        )


def _json_or_none(doc: dict[str, str] | None) -> str | None:
    return None if doc is None else json.dumps(doc)
