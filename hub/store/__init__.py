"""Storage backends, chosen by URL: ``sqlite:///path/to/hub.db`` or ``memory://``.

``sqlite:///data/hub.db`` is relative to the working directory, ``sqlite:////var/hub.db``
absolute; ``?busy_timeout=<ms>`` sets how long a write waits for a lock before the hub answers
503. The default's directory, ``./data``, is created on first start; any other directory must
exist, so that a typo in a path is an error rather than a new, empty database.

``memory://`` is a throwaway SQLite database, in a temporary directory (on ``/dev/shm`` where
there is one) removed when the store closes: the same SQL as production, nothing kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from hub.config import DEFAULT_DATABASE_URL
from hub.errors import ConfigError
from hub.store.base import Store
from hub.store.schema import masked

SETTING = "HUB_DATABASE_URL"


@dataclass(frozen=True)
class Location:
    """Where a store URL points: a SQLite file (with its options), or memory."""

    path: Path | None
    busy_timeout_ms: int = 5000
    create_dir: bool = False


def locate(url: str) -> Location:
    """Parse a store URL.

    Raises:
        ConfigError: one line naming the setting, what is wrong and the right spelling.
    """
    parts = urlsplit(url)
    if parts.scheme == "memory":
        return Location(None)
    if parts.scheme != "sqlite":
        raise ConfigError(
            f"{SETTING}: unsupported scheme {parts.scheme!r} in {masked(url)!r}; "
            "use sqlite:///relative/path.db, sqlite:////absolute/path.db or memory://"
        )
    if parts.netloc:
        # sqlite://data/hub.db reads "data" as a host and would open ./hub.db, silently.
        rest = f"{parts.netloc}{parts.path}"
        raise ConfigError(
            f"{SETTING}: {masked(url)!r} has a host part; a SQLite path follows "
            f"three slashes: sqlite:///{rest} (relative) or sqlite:////{rest} (absolute)"
        )
    path = parts.path[1:] if parts.path.startswith("/") else parts.path
    if not path:
        raise ConfigError(f"{SETTING}: {masked(url)!r} names no database file")
    try:
        busy = int(parse_qs(parts.query).get("busy_timeout", ["5000"])[0])
    except ValueError:
        raise ConfigError(f"{SETTING}: busy_timeout must be milliseconds") from None
    return Location(Path(path), busy, create_dir=url == DEFAULT_DATABASE_URL)


def check_location(url: str) -> None:
    """Check a store URL before anything starts: its form, and that its directory exists.

    Raises:
        ConfigError
    """
    found = locate(url)
    if found.path is None or found.create_dir:
        return
    directory = found.path.parent
    if not directory.is_dir():
        raise ConfigError(
            f"{SETTING}: the directory {str(directory)!r} of {str(found.path)!r} does not exist"
        )


def open_store(
    url: str,
    commit_batch: int = 512,
    on_batch: Callable[[int], None] | None = None,
    migrate: bool = True,
) -> Store:
    """Build (not yet open) the store a URL names; `commit_batch` caps how many writes share
    one commit, `on_batch` is told the size of each commit (a metric), and `migrate` says
    whether opening applies pending schema migrations or only checks there are none.

    Raises:
        ConfigError: an unknown scheme or bad options.
    """
    from hub.store.sqlite import SqliteStore

    found = locate(url)
    if found.path is None:
        return SqliteStore.throwaway(commit_batch, on_batch)
    return SqliteStore(
        str(found.path),
        found.busy_timeout_ms,
        commit_batch,
        create_dir=found.create_dir,
        on_batch=on_batch,
        migrate=migrate,
    )


__all__ = ["Store", "check_location", "locate", "masked", "open_store"]
