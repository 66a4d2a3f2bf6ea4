"""The baseline: the schema as it stood before migrations were versioned.

On SQLite, a database made before then (with no ``alembic_version``) is brought here in place:
the columns added since the first release are added to it, and every ``IF NOT EXISTS`` below
leaves what it has alone; a new file is created whole. On PostgreSQL, which the hub did not
support before, the same tables are created as `hub.store.tables` declared them at this
revision (rendered by Alembic's autogenerate, then frozen here).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen as of this revision: later changes are later migrations, never edits here.
DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS receipts (
    id TEXT PRIMARY KEY, connector TEXT NOT NULL, sender_id TEXT,
    received_at REAL NOT NULL, body BLOB NOT NULL, event_ids TEXT NOT NULL,
    status TEXT, reason TEXT, headers TEXT, query TEXT, request_id TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS receipts_sender
    ON receipts (connector, sender_id) WHERE sender_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS receipts_status ON receipts (status, id) WHERE status IS NOT NULL;
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, source TEXT NOT NULL, connector TEXT NOT NULL,
    subject TEXT, company TEXT, time REAL NOT NULL, received_at REAL NOT NULL,
    schema_version TEXT, receipt_id TEXT, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_type ON events (type, id);
CREATE INDEX IF NOT EXISTS events_subject ON events (subject, id);
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY, event_id TEXT NOT NULL, subscription_id TEXT NOT NULL,
    event_type TEXT NOT NULL, status TEXT NOT NULL, created_at REAL NOT NULL,
    updated_at REAL, next_attempt_at REAL, lease_until REAL,
    attempts INTEGER NOT NULL DEFAULT 0, retry_index INTEGER NOT NULL DEFAULT 0,
    last_status_code INTEGER, last_error TEXT);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries (status, id);
CREATE INDEX IF NOT EXISTS deliveries_subscription ON deliveries (subscription_id, status, id);
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_id, id);
CREATE INDEX IF NOT EXISTS deliveries_leased ON deliveries (lease_until)
    WHERE lease_until IS NOT NULL;
CREATE TABLE IF NOT EXISTS attempts (
    id TEXT PRIMARY KEY, delivery_id TEXT NOT NULL, attempted_at REAL NOT NULL,
    duration_ms REAL NOT NULL, status_code INTEGER, response_body TEXT, error TEXT,
    response_headers TEXT);
CREATE INDEX IF NOT EXISTS attempts_delivery ON attempts (delivery_id, id);
CREATE TABLE IF NOT EXISTS rejections (
    id TEXT PRIMARY KEY, connector TEXT NOT NULL, received_at REAL NOT NULL,
    status INTEGER NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL,
    headers TEXT NOT NULL, body BLOB NOT NULL, body_size INTEGER NOT NULL,
    errors TEXT NOT NULL, request_id TEXT);
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS subscription_health (
    subscription_id TEXT PRIMARY KEY, last_success_at REAL, failing_since REAL,
    failures INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS subscription_states (
    subscription_id TEXT PRIMARY KEY, active INTEGER NOT NULL, reason TEXT,
    changed_at REAL NOT NULL);

CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL,
    state TEXT NOT NULL, reason TEXT NOT NULL, since REAL NOT NULL, created_at REAL NOT NULL,
    updated_at REAL NOT NULL, company TEXT, facts TEXT NOT NULL, sources TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS objects_type ON objects (type, status, id);
CREATE INDEX IF NOT EXISTS objects_key ON objects (type, key);
CREATE INDEX IF NOT EXISTS objects_by_key ON objects (key);
CREATE TABLE IF NOT EXISTS aliases (
    alias TEXT PRIMARY KEY, value TEXT NOT NULL, object_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS aliases_value ON aliases (value);
CREATE INDEX IF NOT EXISTS aliases_object ON aliases (object_id);
CREATE TABLE IF NOT EXISTS logbook (
    id TEXT PRIMARY KEY, object_id TEXT NOT NULL, at REAL NOT NULL, trigger TEXT NOT NULL,
    outcome TEXT NOT NULL, from_status TEXT, to_status TEXT, message TEXT, event_id TEXT,
    created_by TEXT);
CREATE INDEX IF NOT EXISTS logbook_object ON logbook (object_id, id);
CREATE TABLE IF NOT EXISTS object_events (
    object_id TEXT NOT NULL, event_id TEXT NOT NULL, PRIMARY KEY (object_id, event_id));
CREATE TABLE IF NOT EXISTS object_deadlines (
    object_id TEXT PRIMARY KEY, status TEXT NOT NULL, since REAL NOT NULL, due_at REAL NOT NULL,
    emit TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS object_deadlines_due ON object_deadlines (due_at);

CREATE TABLE IF NOT EXISTS audit (
    id TEXT PRIMARY KEY, at REAL NOT NULL, actor_id TEXT NOT NULL, actor_name TEXT NOT NULL,
    action TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, target TEXT NOT NULL,
    status INTEGER NOT NULL, via TEXT NOT NULL, remote TEXT, request_id TEXT);
CREATE INDEX IF NOT EXISTS audit_actor ON audit (actor_id, id);

CREATE TABLE IF NOT EXISTS issues (
    id TEXT PRIMARY KEY, key TEXT NOT NULL, kind TEXT NOT NULL, scope TEXT NOT NULL,
    title TEXT NOT NULL, status TEXT NOT NULL, count INTEGER NOT NULL,
    first_seen REAL NOT NULL, last_seen REAL NOT NULL, detail TEXT, resolved_at REAL);
CREATE UNIQUE INDEX IF NOT EXISTS issues_live ON issues (key) WHERE status != 'resolved';
CREATE INDEX IF NOT EXISTS issues_status ON issues (status, id);

CREATE VIRTUAL TABLE IF NOT EXISTS event_text
    USING fts5(data, content='events', content_rowid='rowid');
"""

# Columns added after the first release: an older file gets them before DDL runs.
ADDED_COLUMNS = {
    "receipts": ("status TEXT", "reason TEXT", "headers TEXT", "query TEXT", "request_id TEXT"),
    "rejections": ("request_id TEXT",),
    "attempts": ("response_headers TEXT",),
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite()
    else:
        _tables()


def _sqlite() -> None:
    bind = op.get_bind()
    for table, columns in ADDED_COLUMNS.items():
        have = {row[1] for row in bind.exec_driver_sql(f"PRAGMA table_info({table})")}
        for column in columns if have else ():  # a new file: DDL creates the table whole
            if column.split()[0] not in have:
                bind.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column}")
    for statement in DDL.split(";"):
        if statement.strip():
            bind.exec_driver_sql(statement)


def _tables() -> None:
    op.create_table(
        "aliases",
        sa.Column("alias", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("object_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("alias"),
    )
    op.create_index("aliases_object", "aliases", ["object_id"], unique=False)
    op.create_index("aliases_value", "aliases", ["value"], unique=False)
    op.create_table(
        "attempts",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("delivery_id", sa.Text(), nullable=False),
        sa.Column("attempted_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("duration_ms", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("response_headers", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("attempts_delivery", "attempts", ["delivery_id", "id"], unique=False)
    op.create_table(
        "audit",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=False),
        sa.Column("actor_name", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("via", sa.Text(), nullable=False),
        sa.Column("remote", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("audit_actor", "audit", ["actor_id", "id"], unique=False)
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("subscription_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("updated_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.Column("next_attempt_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.Column("lease_until", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("retry_index", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "deliveries_due",
        "deliveries",
        ["next_attempt_at"],
        unique=False,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("deliveries_event", "deliveries", ["event_id", "id"], unique=False)
    op.create_index(
        "deliveries_leased",
        "deliveries",
        ["lease_until"],
        unique=False,
        sqlite_where=sa.text("lease_until IS NOT NULL"),
        postgresql_where=sa.text("lease_until IS NOT NULL"),
    )
    op.create_index("deliveries_status", "deliveries", ["status", "id"], unique=False)
    op.create_index(
        "deliveries_subscription", "deliveries", ["subscription_id", "status", "id"], unique=False
    )
    op.create_table(
        "documents",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "id"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("connector", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("company", sa.Text(), nullable=True),
        sa.Column("time", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("received_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("schema_version", sa.Text(), nullable=True),
        sa.Column("receipt_id", sa.Text(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("events_subject", "events", ["subject", "id"], unique=False)
    op.create_index("events_type", "events", ["type", "id"], unique=False)
    op.create_table(
        "issues",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("last_seen", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "issues_live",
        "issues",
        ["key"],
        unique=True,
        sqlite_where=sa.text("status != 'resolved'"),
        postgresql_where=sa.text("status != 'resolved'"),
    )
    op.create_index("issues_status", "issues", ["status", "id"], unique=False)
    op.create_table(
        "logbook",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("object_id", sa.Text(), nullable=False),
        sa.Column("at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("trigger", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=True),
        sa.Column("to_status", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("event_id", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("logbook_object", "logbook", ["object_id", "id"], unique=False)
    op.create_table(
        "meta",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "object_deadlines",
        sa.Column("object_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("since", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("due_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("emit", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("object_id"),
    )
    op.create_index("object_deadlines_due", "object_deadlines", ["due_at"], unique=False)
    op.create_table(
        "object_events",
        sa.Column("object_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("object_id", "event_id"),
    )
    op.create_table(
        "objects",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("updated_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("company", sa.Text(), nullable=True),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("objects_by_key", "objects", ["key"], unique=False)
    op.create_index("objects_key", "objects", ["type", "key"], unique=False)
    op.create_index("objects_type", "objects", ["type", "status", "id"], unique=False)
    op.create_table(
        "receipts",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("connector", sa.Text(), nullable=False),
        sa.Column("sender_id", sa.Text(), nullable=True),
        sa.Column("received_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("event_ids", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("headers", sa.Text(), nullable=True),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "receipts_sender",
        "receipts",
        ["connector", "sender_id"],
        unique=True,
        sqlite_where=sa.text("sender_id IS NOT NULL"),
        postgresql_where=sa.text("sender_id IS NOT NULL"),
    )
    op.create_index(
        "receipts_status",
        "receipts",
        ["status", "id"],
        unique=False,
        sqlite_where=sa.text("status IS NOT NULL"),
        postgresql_where=sa.text("status IS NOT NULL"),
    )
    op.create_table(
        "rejections",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("connector", sa.Text(), nullable=False),
        sa.Column("received_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("body_size", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Text(), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "subscription_health",
        sa.Column("subscription_id", sa.Text(), nullable=False),
        sa.Column("last_success_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.Column("failing_since", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=True),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("subscription_id"),
    )
    op.create_table(
        "subscription_states",
        sa.Column("subscription_id", sa.Text(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.Double().with_variant(sa.REAL(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("subscription_id"),
    )


def downgrade() -> None:
    raise NotImplementedError("migrations only go forward")
