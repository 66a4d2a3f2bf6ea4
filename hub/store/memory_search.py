"""Full-text search of the in-memory store: a scan, for tests (the SQLite store indexes)."""

from __future__ import annotations

import re

from hub.model import Event

_TOKEN = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    """Words as FTS5's default tokenizer makes them: runs of letters and digits, folded."""
    return [t.casefold() for t in _TOKEN.findall(text.replace("_", " "))]


def contains_phrase(data: str, text: str) -> bool:
    wanted, found = tokens(text), tokens(data)
    if not wanted:
        return False
    return any(found[i : i + len(wanted)] == wanted for i in range(len(found) - len(wanted) + 1))


class MemorySearch:
    """The search half of `MemoryStore`."""

    events: dict[str, Event]

    async def index_text(self, limit: int) -> int:
        return 0  # every search scans

    async def search_text(self, text: str, limit: int) -> list[Event]:
        newest = sorted(self.events.values(), key=lambda e: e.id, reverse=True)
        return [e for e in newest if contains_phrase(e.data_json, text)][:limit]
