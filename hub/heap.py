"""Garbage-collector settings for a serving process, applied once start-up is done.

Everything loaded at start-up (schemas and their validators, connectors, subscriptions, the
libraries' module state) lives until the process exits, yet CPython's cycle collector walks
all of it on every full collection, and the default thresholds (700, 10, 10) make those
frequent under load: an ingest request allocates a few hundred container objects. Counted by
callgrind (`python -m bench.instructions`), what the hub adds to an ingest request fell from
716,000 to 649,000 instructions with these settings.

Nothing is lost: objects that die by reference count are freed at once as before, and cycles
made after start-up are still collected, only in fewer, larger passes.
"""

from __future__ import annotations

import gc

THRESHOLDS = (10_000, 50, 100)


def settle() -> None:
    """Collect start-up garbage, exempt what survives from future passes, collect less often.

    Process-wide: only a serving process's entry point asks for this (tests build hundreds of
    apps in one process, and frozen objects are never collected as cycles).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
