"""``hub migrate [--status]``: bring the database's schema up to this hub's, or say where it
stands. It opens the database file itself, so the hub must be stopped (a running hub applies
pending migrations when it starts anyway, unless ``HUB_MIGRATE=off``)."""

from __future__ import annotations

import asyncio

from hub.config import Settings
from hub.errors import ConfigError
from hub.store import check_location, locate, schema
from hub.store.sqlite import hold


def migrate(settings: Settings, status_only: bool) -> int:
    """Print what was applied (or would be), one line each; exit 1 for a newer database.

    Raises:
        ConfigError: the database is held by a running hub, or cannot be opened.
    """
    check_location(settings.database_url)
    path = locate(settings.database_url).path
    if path is None:
        print("memory:// is made afresh at every start: there is nothing to migrate")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)  # only the default's ./data can be missing
    try:
        handle = hold(path)
    except ConfigError as exc:
        raise ConfigError(f"{exc.detail}; stop it first (a hub migrates when it starts)") from None
    try:
        url = schema.sqlite_url(path)
        found = asyncio.run(schema.state(url))
        if found.ahead:
            print(f"at revision {found.current}, newer than this hub's ({found.head})")
            return 1
        if status_only:
            print(f"at revision {found.current or 'none'}; this hub's is {found.head}")
            for line in found.pending:
                print(f"pending: {line}")
            print("up to date" if not found.pending else f"{len(found.pending)} pending")
            return 0
        applied = asyncio.run(schema.upgrade(url))
    finally:
        handle.close()
    for line in applied:
        print(f"applied: {line}")
    print("up to date" if not applied else f"at revision {found.head}")
    return 0
