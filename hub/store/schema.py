"""Where a database's schema stands, and bringing it up to this hub's (Alembic).

A hub applies pending migrations when it opens its store, unless ``HUB_MIGRATE=off``; then a
database that is behind stops start-up with one line naming ``hub migrate``. A database newer
than the hub (a revision this hub does not know) always stops it, naming both versions: an
older hub would misread what a newer one wrote. On SQLite one process holds the file (the
store's lock), so two hubs never migrate it at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.pool import NullPool

from hub.errors import ConfigError

log = logging.getLogger("hub.store")
LOCATION = "hub.store:migrations"


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


def _engine(path: Path) -> sa.Engine:
    return sa.create_engine(f"sqlite:///{path}", poolclass=NullPool)


def _state(connection: sa.Connection, scripts: ScriptDirectory) -> SchemaState:
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


def state(path: Path) -> SchemaState:
    """Where the database at `path` stands (it is created if absent, empty)."""
    engine = _engine(path)
    try:
        with engine.connect() as connection:
            return _state(connection, _scripts())
    finally:
        engine.dispose()


def upgrade(path: Path) -> tuple[str, ...]:
    """Apply every pending migration, in one transaction each; what was applied.

    Raises:
        ConfigError: the database is newer than this hub.
    """
    engine = _engine(path)
    try:
        with engine.begin() as connection:
            found = _state(connection, _scripts())
            _refuse_ahead(path, found)
            if not found.pending:
                return ()
            config = Config()
            config.set_main_option("script_location", LOCATION)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        for line in found.pending:
            log.info("schema migration applied: %s", line)
        return found.pending
    finally:
        engine.dispose()


def _refuse_ahead(path: Path, found: SchemaState) -> None:
    if found.ahead:
        raise ConfigError(
            f"{path}: the database's schema is at revision {found.current}, newer than this "
            f"hub's ({found.head}); run the hub version that wrote it, or a newer one"
        )


def prepare(path: Path, migrate: bool) -> None:
    """Bring the database up to this hub's schema, or (``migrate`` off) check that it is.

    Raises:
        ConfigError: one line: the database is newer than the hub, or behind with
            ``HUB_MIGRATE=off``.
    """
    if migrate:
        upgrade(path)
        return
    found = state(path)
    _refuse_ahead(path, found)
    if found.pending:
        raise ConfigError(
            f"{path}: the schema is behind this hub's ({found.current or 'none'} < "
            f"{found.head}) and HUB_MIGRATE=off; run `hub migrate` first"
        )
