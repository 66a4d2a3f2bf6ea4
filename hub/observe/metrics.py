"""Prometheus metrics (``GET /metrics``), through `prometheus_client`.

Counters and histograms are kept by the process that counts them. Under several processes on
one machine, `prometheus_client`'s own ``PROMETHEUS_MULTIPROC_DIR`` makes each process write
them to that directory and every scrape sum them all. The gauges are read from the store at
scrape time (the backlog, the oldest pending delivery, open issues), so they are the same
whichever process or node answers.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections import Counter as Occurrences
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from hub.observe import logs

CONTENT_TYPE = CONTENT_TYPE_LATEST
FLUSH_SECONDS = 1.0
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
ATTEMPT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


@dataclass(frozen=True)
class Gauges:
    """What the store says at scrape time."""

    pending: int
    oldest_pending_age: float
    issues_open: int = 0


class _StoreGauges(Collector):
    """The gauges of one scrape; set just before rendering, on the event loop's one thread."""

    def __init__(self) -> None:
        self.gauges = Gauges(0, 0.0, 0)

    def collect(self) -> Any:
        g = self.gauges
        yield GaugeMetricFamily(
            "hub_deliveries_pending", "Deliveries waiting for an attempt.", value=g.pending
        )
        yield GaugeMetricFamily(
            "hub_oldest_pending_delivery_age_seconds",
            "Age of the oldest pending delivery (0 with none).",
            value=g.oldest_pending_age,
        )
        yield GaugeMetricFamily(
            "hub_issues_open", "Issues open or acknowledged.", value=g.issues_open
        )


def observe_all(child: Any, values: list[float]) -> None:
    """Observe many values on a histogram child: one increment per bucket, where `observe`
    takes a lock and walks the buckets per value. Falls back to `observe` should the
    library's layout (a value per bucket, not cumulative, and a sum) ever change."""
    bounds = getattr(child, "_upper_bounds", None)
    buckets = getattr(child, "_buckets", None)
    total = getattr(child, "_sum", None)
    if bounds is None or buckets is None or total is None:
        for value in values:
            child.observe(value)
        return
    counts = Occurrences(bisect_left(bounds, value) for value in values)
    for index, count in counts.items():
        buckets[index].inc(count)
    total.inc(sum(values))


def multiprocess() -> bool:
    """Whether `prometheus_client` runs in its multi-process mode (chosen at its import)."""
    return values.ValueClass is not values.MutexValue


class Metrics:
    """The hub's counters and histograms; with ``enabled=False`` every call is a no-op.

    Counts on the ingest path go to a plain dict first, and into `prometheus_client`'s
    counters at most `FLUSH_SECONDS` later and before every scrape: its `inc()` takes a lock
    and checks its arguments, 2 µs of every webhook for two counters, where the dict takes
    0.2 µs. Under multiprocess mode the flush is what other processes' scrapes see, so they
    lag by at most that second.
    """

    def __init__(
        self, enabled: bool = True, dropped_lines: Callable[[], int] = logs.dropped_lines
    ) -> None:
        self.enabled = enabled
        self._dropped_lines = dropped_lines
        self._dropped_seen = 0
        self._registry = CollectorRegistry(auto_describe=True)
        self._gauges = _StoreGauges()
        self._children: dict[Hashable, Any] = {}
        self._pending: dict[tuple[Any, ...], int] = {}
        self._durations: dict[str, list[float]] = {}
        self._flush_due = False
        r = self._registry
        self._received = Counter(
            "hub_webhooks_received", "Inbound webhooks by connector and outcome.",
            ["connector", "outcome"], registry=r,
        )  # fmt: skip
        self._events = Counter("hub_events", "Events committed, by type.", ["type"], registry=r)
        self._deliveries = Counter(
            "hub_deliveries", "Delivery attempts by subscription and outcome.",
            ["subscription", "outcome"], registry=r,
        )  # fmt: skip
        self._duration = Histogram(
            "hub_delivery_attempt_duration_seconds", "Time to a subscriber's answer.",
            ["subscription"], buckets=ATTEMPT_BUCKETS, registry=r,
        )  # fmt: skip
        self._dropped = Counter(
            "hub_log_lines_dropped",
            "Log lines dropped because the log reader fell behind.",
            registry=r,
        )
        self._batch = Histogram(
            "hub_commit_batch_size", "Writes that shared one commit.", buckets=BATCH_BUCKETS,
            registry=r,
        )  # fmt: skip

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def _count(self, key: tuple[Any, ...]) -> None:
        pending = self._pending
        pending[key] = pending.get(key, 0) + 1
        if not self._flush_due:
            self._flush_due = True
            try:
                asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)
            except RuntimeError:  # no loop (a test's direct call): count at once
                self.flush()

    def flush(self) -> None:
        """Move the pending counts into the counters."""
        self._flush_due = False
        pending, self._pending = self._pending, {}
        for (metric, *labels), count in pending.items():
            self._child(metric, *labels).inc(count)
        durations, self._durations = self._durations, {}
        for subscription, seconds in durations.items():
            observe_all(self._child(self._duration, subscription), seconds)
        dropped = self._dropped_lines()
        if dropped > self._dropped_seen:
            self._dropped.inc(dropped - self._dropped_seen)
            self._dropped_seen = dropped

    def received(self, connector: str, outcome: str) -> None:
        """One inbound webhook; `connector` must be a known name (labels stay bounded)."""
        if self.enabled:
            self._count((self._received, connector, outcome))

    def events(self, types: list[str]) -> None:
        if self.enabled:
            for event_type in types:
                self._count((self._events, event_type))

    def attempt(self, subscription: str, outcome: str, seconds: float) -> None:
        """One delivery attempt: counted, and its duration kept for the histogram, both
        moved into `prometheus_client` at the next flush (7 µs of every attempt, else)."""
        if self.enabled:
            self._count((self._deliveries, subscription, outcome))
            self._durations.setdefault(subscription, []).append(seconds)

    def commit_batch(self, size: int) -> None:
        if self.enabled:
            self._batch.observe(size)

    def render(self, gauges: Gauges) -> bytes:
        """The text exposition: this process's metrics, or every process's under multiprocess
        mode, and the store's gauges."""
        self.flush()
        self._gauges.gauges = gauges
        if multiprocess():
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry = CollectorRegistry()
            registry.register(_Forward(self._registry))
        registry.register(self._gauges)
        return generate_latest(registry)


class _Forward(Collector):
    """Collects another registry, so one scrape joins it with the store's gauges."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Any:
        return self._registry.collect()
