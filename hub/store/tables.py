"""The store's tables, declared once with SQLAlchemy Core.

The migrations (`hub/store/migrations`) build these tables; `tests/integration/test_migrations.py`
compares a migrated database with this declaration, so the two cannot drift. Engine-specific
objects stay out: SQLite's FTS5 index of payload text (`event_text`) is made by a migration.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    REAL,
    Column,
    Double,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.types import TypeEngine

metadata = MetaData()
# Times are Unix seconds with their fraction: a double (PostgreSQL's `real` is 4 bytes, which
# would round a timestamp to minutes), spelled REAL on SQLite as the first schema did.
Seconds: TypeEngine[float] = Double().with_variant(REAL(), "sqlite")


def partial(condition: str) -> dict[str, Any]:
    """A partial index's condition, for each engine that has them."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


def _id() -> Column[str]:
    return Column("id", Text, primary_key=True)


meta = Table(
    "meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

receipts = Table(
    "receipts",
    metadata,
    _id(),
    Column("connector", Text, nullable=False),
    Column("sender_id", Text),
    Column("received_at", Seconds, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("event_ids", Text, nullable=False),
    Column("status", Text),  # NULL: processed (the common case keeps ingest rows short)
    Column("reason", Text),
    Column("headers", Text),
    Column("query", Text),
    Column("request_id", Text),
    Index(
        "receipts_sender",
        "connector",
        "sender_id",
        unique=True,
        **partial("sender_id IS NOT NULL"),
    ),
    Index("receipts_status", "status", "id", **partial("status IS NOT NULL")),
)

events = Table(
    "events",
    metadata,
    _id(),
    Column("type", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("connector", Text, nullable=False),
    Column("subject", Text),
    Column("company", Text),
    Column("time", Seconds, nullable=False),
    Column("received_at", Seconds, nullable=False),
    Column("schema_version", Text),
    Column("receipt_id", Text),
    Column("data", Text, nullable=False),
    Index("events_type", "type", "id"),
    Index("events_subject", "subject", "id"),
)

deliveries = Table(
    "deliveries",
    metadata,
    _id(),
    Column("event_id", Text, nullable=False),
    Column("subscription_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("created_at", Seconds, nullable=False),
    Column("updated_at", Seconds),
    Column("next_attempt_at", Seconds),
    Column("lease_until", Seconds),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("retry_index", Integer, nullable=False, server_default=text("0")),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Index("deliveries_due", "next_attempt_at", **partial("status = 'pending'")),
    Index("deliveries_status", "status", "id"),
    Index("deliveries_subscription", "subscription_id", "status", "id"),
    Index("deliveries_event", "event_id", "id"),
    Index("deliveries_leased", "lease_until", **partial("lease_until IS NOT NULL")),
)

attempts = Table(
    "attempts",
    metadata,
    _id(),
    Column("delivery_id", Text, nullable=False),
    Column("attempted_at", Seconds, nullable=False),
    Column("duration_ms", Seconds, nullable=False),
    Column("status_code", Integer),
    Column("response_body", Text),
    Column("error", Text),
    Column("response_headers", Text),  # a failed attempt's, credentials masked
    Index("attempts_delivery", "delivery_id", "id"),
)

rejections = Table(
    "rejections",
    metadata,
    _id(),
    Column("connector", Text, nullable=False),
    Column("received_at", Seconds, nullable=False),
    Column("status", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("headers", Text, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("body_size", Integer, nullable=False),
    Column("errors", Text, nullable=False),
    Column("request_id", Text),
)

documents = Table(
    "documents",
    metadata,
    Column("kind", Text, nullable=False),
    Column("id", Text, nullable=False),
    Column("doc", Text, nullable=False),
    PrimaryKeyConstraint("kind", "id"),
)

subscription_health = Table(
    "subscription_health",
    metadata,
    Column("subscription_id", Text, primary_key=True),
    Column("last_success_at", Seconds),
    Column("failing_since", Seconds),
    Column("failures", Integer, nullable=False, server_default=text("0")),
)

subscription_states = Table(
    "subscription_states",
    metadata,
    Column("subscription_id", Text, primary_key=True),
    Column("active", Integer, nullable=False),
    Column("reason", Text),
    Column("changed_at", Seconds, nullable=False),
)

objects = Table(
    "objects",
    metadata,
    _id(),
    Column("type", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("since", Seconds, nullable=False),
    Column("created_at", Seconds, nullable=False),
    Column("updated_at", Seconds, nullable=False),
    Column("company", Text),
    Column("facts", Text, nullable=False),
    Column("sources", Text, nullable=False),
    Index("objects_type", "type", "status", "id"),
    Index("objects_key", "type", "key"),
    Index("objects_by_key", "key"),
)

aliases = Table(
    "aliases",
    metadata,
    Column("alias", Text, primary_key=True),
    Column("value", Text, nullable=False),
    Column("object_id", Text, nullable=False),
    Index("aliases_value", "value"),
    Index("aliases_object", "object_id"),
)

logbook = Table(
    "logbook",
    metadata,
    _id(),
    Column("object_id", Text, nullable=False),
    Column("at", Seconds, nullable=False),
    Column("trigger", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("from_status", Text),
    Column("to_status", Text),
    Column("message", Text),
    Column("event_id", Text),
    Column("created_by", Text),
    Index("logbook_object", "object_id", "id"),
)

object_events = Table(
    "object_events",
    metadata,
    Column("object_id", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    PrimaryKeyConstraint("object_id", "event_id"),
)

object_deadlines = Table(
    "object_deadlines",
    metadata,
    Column("object_id", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("since", Seconds, nullable=False),
    Column("due_at", Seconds, nullable=False),
    Column("emit", Text, nullable=False),
    Index("object_deadlines_due", "due_at"),
)

audit = Table(
    "audit",
    metadata,
    _id(),
    Column("at", Seconds, nullable=False),
    Column("actor_id", Text, nullable=False),
    Column("actor_name", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("method", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("via", Text, nullable=False),
    Column("remote", Text),
    Column("request_id", Text),
    Index("audit_actor", "actor_id", "id"),
)

issues = Table(
    "issues",
    metadata,
    _id(),
    Column("key", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("count", Integer, nullable=False),
    Column("first_seen", Seconds, nullable=False),
    Column("last_seen", Seconds, nullable=False),
    Column("detail", Text),
    Column("resolved_at", Seconds),
    Index("issues_live", "key", unique=True, **partial("status != 'resolved'")),
    Index("issues_status", "status", "id"),
)
