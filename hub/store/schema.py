"""Where a database's schema stands, and bringing it up to this hub's (Alembic).

A hub applies pending migrations when it opens its store, unless ``HUB_MIGRATE=off``; then a
database that is behind stops start-up with one line naming ``hub migrate``. A database newer
than the hub (a revision this hub does not know) always stops it, naming both versions: an
older hub would misread what a newer one wrote. Two hubs never migrate one database at once:
on SQLite one process holds the file (the store's lock); on PostgreSQL the migration runs
under a transaction-scoped advisory lock, so the others wait, then find nothing pending.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from hub.errors import ConfigError

log = logging.getLogger("hub.store")
LOCATION = "hub.store:migrations"
LOCK_KEY = 0x6875622E736368  # "hub.sch": the advisory lock migrations take on PostgreSQL


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def driver_url(url: str) -> str:
    """The async driver's URL: aiosqlite for SQLite, asyncpg for PostgreSQL."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
              "postgres": "postgresql+asyncpg"}[parsed.get_backend_name()]  # fmt: skip
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def masked(url: str) -> str:
    """A store URL as messages show it, any password replaced (``postgresql://hub:***@db``);
    it takes any text, even one that is no URL."""
    parts = urlsplit(url)
    if parts.password is None:
        return url[:200]
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username or ''}:***@{host}").geturl()[:200]


def shown(url: str) -> str:
    """The database as messages name it: a SQLite file's path, or the URL without its
    password."""
    parsed = make_url(url)
    return str(parsed.database) if parsed.get_backend_name() == "sqlite" else masked(url)


@dataclass(frozen=True)
class SchemaState:
    """A database's revision against this hub's migrations.

    Attributes:
        current: the database's revision; None before any (new, or made before migrations).
        head: the newest revision this hub knows.
        pending: revisions to apply, oldest first, as ``"0002 what it does"``.
        ahead: the database's revision is one this hub does not know (a newer hub's).
    """

    current: str | None
    head: str
    pending: tuple[str, ...]
    ahead: bool


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", LOCATION)
    return ScriptDirectory.from_config(config)


def _state(connection: sa.Connection) -> SchemaState:
    scripts = _scripts()
    current = MigrationContext.configure(connection).get_current_revision()
    head = scripts.get_current_head()
    assert head is not None, "the hub ships its migrations"
    known = {s.revision for s in scripts.walk_revisions()}
    if current is not None and current not in known:
        return SchemaState(current, head, (), ahead=True)
    pending = [
        f"{s.revision} {s.doc}"
        for s in reversed(list(scripts.iterate_revisions(head, current)))
    ]  # fmt: skip
    return SchemaState(current, head, tuple(pending), ahead=False)


def _upgrade(connection: sa.Connection) -> SchemaState:
    found = _state(connection)
    if found.pending and not found.ahead:
        config = Config()
        config.set_main_option("script_location", LOCATION)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return found


async def _locked(connection: AsyncConnection) -> None:
    if connection.dialect.name == "postgresql":
        await connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


async def state(url: str) -> SchemaState:
    """Where the database at `url` stands (a SQLite file is created if absent, empty)."""
    engine = create_async_engine(driver_url(url), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_state)
    finally:
        await engine.dispose()


async def upgrade(url: str) -> tuple[str, ...]:
    """Apply every pending migration, in one transaction; what was applied.

    Raises:
        ConfigError: the database is newer than this hub.
    """
    engine = create_async_engine(driver_url(url), poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await _locked(connection)
            found = await connection.run_sync(_upgrade)
    finally:
        await engine.dispose()
    _refuse_ahead(url, found)
    for line in found.pending:
        log.info("schema migration applied: %s", line)
    return found.pending


def _refuse_ahead(url: str, found: SchemaState) -> None:
    if found.ahead:
        raise ConfigError(
            f"{shown(url)}: the database's schema is at revision {found.current}, newer than "
            f"this hub's ({found.head}); run the hub version that wrote it, or a newer one"
        )


async def prepare(url: str, migrate: bool) -> None:
    """Bring the database up to this hub's schema, or (``migrate`` off) check that it is.

    Raises:
        ConfigError: one line: the database is newer than the hub, or behind with
            ``HUB_MIGRATE=off``.
    """
    if migrate:
        await upgrade(url)
        return
    found = await state(url)
    _refuse_ahead(url, found)
    if found.pending:
        raise ConfigError(
            f"{shown(url)}: the schema is behind this hub's ({found.current or 'none'} < "
            f"{found.head}) and HUB_MIGRATE=off; run `hub migrate` first"
        )
