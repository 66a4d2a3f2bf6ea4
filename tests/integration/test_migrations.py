"""Versioned schema: a database made before migrations is upgraded in place with nothing lost;
the migrated schema is exactly the tables declared in `hub.store.tables`; a hub refuses a
database it cannot trust, in one line; `hub migrate` says what it does."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from hub.clock import ManualClock
from hub.config import PROJECT_ROOT
from hub.errors import ConfigError
from hub.store import open_store, schema
from hub.store.tables import metadata
from tests.helpers import hub_settings, running_hub

# Made by `main` at fde1677, the last schema before migrations, through the hub itself: events,
# a pending retry and a failed attempt, business objects with a logbook and a manual move,
# issues, audit entries, a scoped token, a rejection.
OLD = PROJECT_ROOT / "tests" / "fixtures" / "pre-migrations.db"


def old_copy(tmp_path: Path) -> Path:
    path = tmp_path / "hub.db"
    shutil.copy(OLD, path)
    return path


def counts(path: Path) -> dict[str, int]:
    tables = ["events", "receipts", "deliveries", "attempts", "objects", "aliases", "logbook",
              "object_events", "issues", "audit", "documents", "rejections"]  # fmt: skip
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


async def test_a_database_from_before_migrations_is_upgraded_with_nothing_lost(
    tmp_path: Path,
) -> None:
    path = old_copy(tmp_path)
    before = counts(path)
    assert all(before.values()), before  # the fixture carries every kind of row
    settings = hub_settings(tmp_path, rules=str(PROJECT_ROOT / "rules.yaml"))
    with sqlite3.connect(path) as conn:
        made_at = conn.execute("SELECT max(received_at) FROM events").fetchone()[0]
    # The hub's clock at the time the file was made: its pending retry is not due yet.
    async with running_hub(settings, clock=ManualClock(made_at)) as hub:
        events = await hub.get("/api/events", limit=500)
        pending = await hub.get("/api/deliveries", status="pending")
        order = await hub.get("/api/objects/order/OLD-1")
        tokens = await hub.get("/api/tokens")
        issues = await hub.get("/api/issues")
        audit = await hub.get("/api/audit")
        rejections = await hub.get("/api/rejections")
    assert counts(path) == before
    assert len(events["items"]) == before["events"]
    assert pending["items"] and pending["items"][0]["attempt_count"] == 1  # its retry waits
    assert order["status"] == "cancelled" and order["logbook"][0]["message"] == "old"
    assert [t["name"] for t in tokens["items"]] == ["old-flow"]
    assert len(issues["items"]) == before["issues"] and audit["items"] and rejections["items"]
    after = await schema.state(schema.sqlite_url(path))
    assert after.current == after.head and not after.pending


def differences(connection: sa.Connection) -> list[Any]:
    """What a migrated database has that the declaration has not, or the other way round."""
    context = MigrationContext.configure(connection, opts={
        "compare_type": True,
        "include_name": lambda name, kind, _: not (name or "").startswith(
            ("event_text", "alembic_version")),
    })  # fmt: skip
    return [d for d in compare_metadata(context, metadata) if not sqlite_quirk(d)]


async def declared_and_migrated(url: str) -> list[Any]:
    await schema.upgrade(url)
    engine = create_async_engine(schema.driver_url(url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(differences)
    finally:
        await engine.dispose()


async def test_the_migrated_schema_is_the_declared_tables(tmp_path: Path) -> None:
    for path in (tmp_path / "new.db", old_copy(tmp_path)):
        assert await declared_and_migrated(schema.sqlite_url(path)) == [], path.name


def sqlite_quirk(difference: object) -> bool:
    """SQLite lets a primary key that is not an INTEGER hold NULL unless it says NOT NULL, so a
    reflected text primary key reads as nullable; the declaration says what every engine
    enforces. Only that difference is forgiven."""
    change = difference[0] if isinstance(difference, list) and len(difference) == 1 else None
    if not isinstance(change, tuple) or change[0] != "modify_nullable":
        return False
    column = metadata.tables[change[2]].columns[change[3]]
    return bool(column.primary_key)


async def test_a_behind_or_newer_database_stops_start_up_in_one_line(tmp_path: Path) -> None:
    behind = old_copy(tmp_path)
    store = open_store(f"sqlite:///{behind}", migrate=False)
    with pytest.raises(ConfigError) as caught:
        await store.open()
    assert "HUB_MIGRATE=off; run `hub migrate` first" in caught.value.detail
    assert "\n" not in caught.value.detail
    assert (await schema.state(schema.sqlite_url(behind))).current is None  # nothing applied
    await schema.upgrade(schema.sqlite_url(behind))
    with sqlite3.connect(behind) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0999'")
    for migrate in (True, False):
        store = open_store(f"sqlite:///{behind}", migrate=migrate)
        with pytest.raises(ConfigError) as caught:
            await store.open()
        assert "revision 0999, newer than this hub's (0001)" in caught.value.detail
    ok = open_store(f"sqlite:///{tmp_path / 'fresh.db'}", migrate=True)
    await ok.open()  # a new file is migrated whole
    await ok.close()


def hub_migrate(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", "migrate", *args],
        env={"PATH": "/usr/bin", "HUB_DATABASE_URL": f"sqlite:///{path}"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


async def test_hub_migrate_says_what_it_applies(tmp_path: Path) -> None:
    path = old_copy(tmp_path)
    status = hub_migrate(path, "--status")
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines() == [
        "at revision none; this hub's is 0001",
        "pending: 0001 The baseline: the schema as it stood before migrations were versioned.",
        "1 pending",
    ]
    applied = hub_migrate(path)
    assert applied.returncode == 0 and applied.stdout.startswith("applied: 0001 ")
    again = hub_migrate(path)
    assert again.stdout.strip() == "up to date"
    settings = replace(hub_settings(tmp_path), database_url=f"sqlite:///{path}")
    async with running_hub(settings):
        held = hub_migrate(path)
    assert held.returncode == 2 and "another hub process" in held.stderr
    assert "Traceback" not in held.stderr and len(held.stderr.strip().splitlines()) == 1


async def test_postgresql_gets_the_declared_tables_and_migrates_once(postgres_url: str) -> None:
    """Three hubs starting at once on one PostgreSQL: one applies under the advisory lock, the
    others wait for it and find nothing pending."""
    results = await asyncio.gather(*(schema.upgrade(postgres_url) for _ in range(3)))
    assert sorted(len(applied) for applied in results) == [0, 0, 1]
    assert await declared_and_migrated(postgres_url) == []
    found = await schema.state(postgres_url)
    assert found.current == found.head and not found.pending
    assert "password" not in schema.shown(postgres_url.replace("hub@", "hub:password@"))
