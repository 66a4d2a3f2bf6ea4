"""SQL of the SQLite store: row mapping and listing queries (the schema is in `tables` and
its migrations)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from hub.model import (
    Delivery,
    DeliveryFilter,
    DeliveryStatus,
    Event,
    Receipt,
    ReceiptStatus,
)
from hub.store.base import check_cursor

RECEIPT_COLUMNS = (
    "id, connector, sender_id, received_at, body, event_ids, status, reason, headers, query, "
    "request_id"
)
EVENT_COLUMNS = (
    "id, type, source, connector, subject, company, time, received_at, schema_version, "
    "receipt_id, data"
)
DELIVERY_COLUMNS = (
    "id, event_id, subscription_id, event_type, status, created_at, updated_at, "
    "next_attempt_at, attempts, retry_index, last_status_code, last_error"
)


LISTED_DELIVERY = "SELECT " + ", ".join(
    [*("d." + c.strip() for c in DELIVERY_COLUMNS.split(",")), "e.subject"]
)
# An ordered delivery's head: the subject's few events first, then their deliveries.
ORDERED_HEAD = (
    "SELECT d.next_attempt_at FROM events e CROSS JOIN deliveries d ON d.event_id = e.id "
    "WHERE e.subject = ? AND d.subscription_id = ? AND d.status = 'pending' AND d.id < ? "
    "ORDER BY d.id LIMIT 1"
)
# A head is done: what waits behind it on its subject is due now (not leased ones: in flight).
RELEASE_SUBJECT = (
    "UPDATE deliveries SET next_attempt_at = ? WHERE subscription_id = ? "
    "AND status = 'pending' AND lease_until IS NULL AND next_attempt_at > ? "
    "AND event_id IN (SELECT id FROM events WHERE subject = ?)"
)
CLAIM_SUBSCRIPTION = (
    "SELECT id FROM deliveries INDEXED BY deliveries_subscription WHERE subscription_id = ? "
    "AND status = 'pending' AND lease_until IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?"
)
# Without ANALYZE statistics the planner prefers deliveries_status and sorts in a temp B-tree;
# the partial index is already in due order, so the claim names it.
CLAIM_DUE = (
    "SELECT id FROM deliveries INDEXED BY deliveries_due WHERE status = 'pending' "
    "AND next_attempt_at <= ? AND lease_until IS NULL ORDER BY next_attempt_at LIMIT ?"
)
# Only the leased rows (at most the worker's concurrency) are in deliveries_leased; without it,
# this walked every pending delivery: half the worker's own CPU under a 100,000 backlog.
RELEASE_EXPIRED = (
    "UPDATE deliveries INDEXED BY deliveries_leased SET lease_until = NULL "
    "WHERE lease_until IS NOT NULL AND lease_until < ? AND status = 'pending'"
)
FIND_RECEIPT = "SELECT event_ids FROM receipts WHERE connector = ? AND sender_id = ?"


def event_row(row: Sequence[Any]) -> Event:
    return Event(
        id=row[0], type=row[1], source=row[2], connector=row[3], subject=row[4],
        company=row[5], time=row[6], received_at=row[7], schema_version=row[8],
        receipt_id=row[9], data_json=row[10],
    )  # fmt: skip


def delivery_row(row: Sequence[Any]) -> Delivery:
    """A delivery; listings add its event's subject as a 13th column."""
    return Delivery(
        id=row[0], event_id=row[1], subscription_id=row[2], event_type=row[3],
        status=DeliveryStatus(row[4]), created_at=row[5], updated_at=row[6],
        next_attempt_at=row[7], attempts=row[8], retry_index=row[9],
        last_status_code=row[10], last_error=row[11],
        subject=row[12] if len(row) > 12 else None,
    )  # fmt: skip


def delivery_where(where: DeliveryFilter, table: str = "") -> tuple[list[str], list[Any]]:
    """The filter as SQL clauses; `table` qualifies the columns where a query joins events."""
    clauses: list[str] = []
    params: list[Any] = []
    if where.subject is not None:
        # Deliveries keep no subject: the few events of one subject lead to their deliveries.
        clauses.append(f"{table}event_id IN (SELECT id FROM events WHERE subject = ?)")
        params.append(where.subject)
    for column, value in (
        ("status", where.status),
        ("subscription_id", where.subscription_id),
        ("event_type", where.event_type),
        ("event_id", where.event_id),
    ):
        if value is not None:
            clauses.append(f"{table}{column} = ?")
            params.append(str(value))
    if where.since is not None:
        clauses.append(f"{table}created_at >= ?")
        params.append(where.since)
    if where.subscription_ids is not None:
        marks = ",".join("?" * len(where.subscription_ids)) or "NULL"
        clauses.append(f"{table}subscription_id IN ({marks})")
        params += list(where.subscription_ids)
    if where.due_after is not None:
        clauses.append(f"{table}status = 'pending'")
        clauses.append(f"{table}next_attempt_at > ? AND {table}lease_until IS NULL")
        params.append(where.due_after)
    return clauses, params


def delivery_listing(
    where: DeliveryFilter, cursor: str | None, limit: int
) -> tuple[str, list[Any]]:
    """The newest-first page query of `list_deliveries`, each row with its event's subject
    (exposed for query-plan tests)."""
    clauses, params = delivery_where(where, "d.")
    if check_cursor(cursor):
        clauses.append("d.id < ?")
        params.append(cursor)
    sql = f"{LISTED_DELIVERY} FROM deliveries d LEFT JOIN events e ON e.id = d.event_id"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    return sql + " ORDER BY d.id DESC LIMIT ?", [*params, limit]


def receipt_values(r: Receipt, event_ids: list[str]) -> tuple[Any, ...]:
    """The row of a new receipt."""
    status = None if r.status is ReceiptStatus.PROCESSED else str(r.status)
    # orjson: the standard library's dumps of a short list was 3 µs of every ingest.
    return (
        r.id, r.connector, r.sender_id, r.received_at, r.body, orjson.dumps(event_ids).decode(),
        status, r.reason, orjson.dumps(r.headers).decode() if r.headers is not None else None,
        orjson.dumps(r.query).decode() if r.query is not None else None, r.request_id,
    )  # fmt: skip
