"""`hub serve` that SIGKILLs itself right after an ordered subject's head is recorded as
delivered while deliveries are held behind it: the moment a crash once stranded them.

Releasing the held ones used to be a second write after the head's record; a crash between
the two left them waiting out the whole hold (five minutes). Killed here at exactly that
point, a restarted hub must send them at once.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from hub.cli.main import main
from hub.model import AttemptRecord
from hub.store.sqlite import SqliteStore

_hold, _record = SqliteStore.hold_ordered, SqliteStore.record
_held: set[str] = set()


async def _holding(self: SqliteStore, delivery_id: str, *args: Any) -> bool:
    held = await _hold(self, delivery_id, *args)
    if held:
        _held.add(delivery_id)
    return held


async def _recording(self: SqliteStore, record: AttemptRecord) -> None:
    await _record(self, record)  # committed: the sender of the head has its answer
    if record.succeeded and _held and record.attempt.delivery_id not in _held:
        os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    SqliteStore.hold_ordered = _holding  # type: ignore[method-assign]
    SqliteStore.record = _recording  # type: ignore[method-assign]
    sys.exit(main(["serve"]))
