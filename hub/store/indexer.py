"""The search indexer: a background loop that keeps the full-text index of event payloads
caught up with the event log, in batches of its own.

Indexing in ingest's transaction would add the tokenizer's cost to every acknowledgement; here
it runs behind, one batch of `BATCH` per `PACE` seconds while events keep arriving (1,000
events a second: more than the hub delivers sustained), so a search finds a payload's text
within a second of its acknowledgement at ordinary rates, and a burst's a little later.
Larger batches cost ingest: at 2,000 per half second the ingest figure fell about 9 %, at 500
it moved within its noise. A restart resumes from the store's cursor, and a store made before
the index existed is indexed in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from hub.background import BackgroundTask
from hub.errors import StoreUnavailable
from hub.store.base import Store

log = logging.getLogger("hub.search")

BATCH = 500  # events per indexing transaction
PACE = 0.5  # seconds between batches while behind: the writer is ingest's first
POLL = 30.0  # seconds: the safety net when no notification comes


class TextIndexer:
    """Follows the event log into the store's full-text index."""

    def __init__(self, store: Store, pace: float = PACE) -> None:
        self._store, self._pace = store, pace
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.task = BackgroundTask("search-index", self._run, self._stopping)
        self.indexed = 0

    def notify(self) -> None:
        """Events were committed: index them soon."""
        self._wake.set()

    def start(self) -> None:
        self.task.start()

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        await self.task.stopped()

    async def caught_up(self) -> None:
        """Index everything committed so far (tests and tools)."""
        while await self._store.index_text(BATCH):
            pass

    async def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                done = await self._store.index_text(BATCH)
            except StoreUnavailable as exc:
                log.warning("search indexing paused: %s", exc.detail)
                done = 0
            self.indexed += done
            # Behind: a pause between batches, so that ingest's commits come first; caught
            # up: until events arrive (or the poll, should a notification be missed).
            waited = self._stopping if done else self._wake
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waited.wait(), self._pace if done else POLL)
