"""Metrics counted in batches read the same as metrics counted one by one."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from hub.observe.metrics import ATTEMPT_BUCKETS, Gauges, Metrics, observe_all

DURATIONS = [0.001, 0.005, 0.0051, 0.2, 0.25, 3.0, 30.0, 31.0, 0.0]


def exposition(batched: bool) -> list[str]:
    registry = CollectorRegistry()
    histogram = Histogram("d", "d", ["s"], buckets=ATTEMPT_BUCKETS, registry=registry)
    child = histogram.labels("erp")
    if batched:
        observe_all(child, DURATIONS)
    else:
        for value in DURATIONS:
            child.observe(value)
    lines = generate_latest(registry).decode().splitlines()
    return [line for line in lines if "_created" not in line]  # when each was made


def test_observing_many_at_once_equals_observing_each() -> None:
    assert exposition(batched=True) == exposition(batched=False)


def test_attempts_are_counted_and_timed_at_the_flush() -> None:
    metrics = Metrics(dropped_lines=lambda: 0)
    for seconds in (0.01, 0.02, 0.3):
        metrics.attempt("erp", "delivered", seconds)
    metrics.attempt("erp", "retrying", 1.5)
    metrics.flush()  # no running loop here: counted at once anyway
    text = metrics.render(Gauges(0, 0.0))
    lines = text.decode().splitlines()
    assert 'hub_deliveries_total{outcome="delivered",subscription="erp"} 3.0' in lines
    assert 'hub_deliveries_total{outcome="retrying",subscription="erp"} 1.0' in lines
    assert 'hub_delivery_attempt_duration_seconds_count{subscription="erp"} 4.0' in lines
    assert (
        'hub_delivery_attempt_duration_seconds_bucket{le="0.025",subscription="erp"} 2.0' in lines
    )
