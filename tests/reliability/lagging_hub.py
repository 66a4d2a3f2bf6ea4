"""`hub serve` whose state tracker lags on purpose: one event per look, a look every 50 ms.

The SIGKILL test needs events committed and not yet applied when the kill lands; a woken
tracker closes that window within milliseconds, so the kill could miss it. This one applies
some events and leaves the rest, which is the case to recover from.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from typing import Any

from hub.cli.main import main
from hub.state.tracker import StateTracker

_init, _follow = StateTracker.__init__, StateTracker._follow


def _one_at_a_time(self: StateTracker, *args: Any, **kwargs: Any) -> None:
    _init(self, *args, **kwargs)
    self._settings = dataclasses.replace(self._settings, batch=1)


async def _slowly(self: StateTracker) -> int:
    await asyncio.sleep(0.05)
    return await _follow(self)


if __name__ == "__main__":
    StateTracker.__init__ = _one_at_a_time  # type: ignore[method-assign]
    StateTracker._follow = _slowly  # type: ignore[method-assign]
    sys.exit(main(["serve"]))
