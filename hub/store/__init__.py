"""Storage backends, chosen by URL: ``sqlite:///path/to/hub.db`` or ``memory://``."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from hub.errors import ConfigError
from hub.store.base import Store


def open_store(url: str, commit_batch: int = 512) -> Store:
    """Build (not yet open) the store a URL names.

    ``sqlite:///data/hub.db`` is relative to the working directory, ``sqlite:////var/hub.db``
    absolute; ``?busy_timeout=<ms>`` sets how long a write waits for a lock before the hub
    answers 503. `commit_batch` caps how many writes share one commit.

    Raises:
        ConfigError: unknown scheme or bad options.
    """
    parts = urlsplit(url)
    if parts.scheme == "memory":
        from hub.store.memory import MemoryStore

        return MemoryStore()
    if parts.scheme == "sqlite":
        from hub.store.sqlite import SqliteStore

        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        if not path:
            raise ConfigError(f"HUB_DATABASE_URL: {url!r} names no database file")
        options = parse_qs(parts.query)
        try:
            busy = int(options.get("busy_timeout", ["5000"])[0])
        except ValueError:
            raise ConfigError("HUB_DATABASE_URL: busy_timeout must be milliseconds") from None
        return SqliteStore(path, busy_timeout_ms=busy, commit_batch=commit_batch)
    raise ConfigError(
        f"HUB_DATABASE_URL: unsupported scheme {parts.scheme!r} (use sqlite:// or memory://)"
    )


__all__ = ["Store", "open_store"]
