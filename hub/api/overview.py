"""``GET /api/overview``: the figures an admin looks at first (admin only).

Traffic comes from the same counters ``/metrics`` serves (every process's under multiprocess
mode), so the overview and a Prometheus dashboard never disagree; they count since the
processes started. The backlog and open issues are read from the store.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.api.params import accepts, hub_of
from hub.clock import rfc3339_or_none
from hub.observe.metrics import Gauges

ATTEMPTS = "hub_delivery_attempt_duration_seconds"


def _samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name].append((sample.labels, sample.value))
    return found


def _quantile(buckets: dict[float, float], q: float) -> float | None:
    """The upper bound of the bucket holding the q-quantile (Prometheus's coarse answer)."""
    total = buckets.get(float("inf"), 0.0)
    if total <= 0:
        return None
    for bound in sorted(buckets):
        if buckets[bound] >= q * total:
            return bound if bound != float("inf") else None
    return None


def traffic(exposition: str) -> dict[str, Any]:
    """Inbound by connector and outcome, deliveries by outcome, and attempt latency, from
    Prometheus's text format."""
    samples = _samples(exposition)
    inbound: dict[str, dict[str, int]] = defaultdict(dict)
    for labels, value in samples["hub_webhooks_received_total"]:
        inbound[labels["connector"]][labels["outcome"]] = int(value)
    outcomes: dict[str, int] = defaultdict(int)
    for labels, value in samples["hub_deliveries_total"]:
        outcomes[labels["outcome"]] += int(value)
    buckets: dict[float, float] = defaultdict(float)
    for labels, value in samples[f"{ATTEMPTS}_bucket"]:
        buckets[float(labels["le"])] += value
    seconds = sum(v for _, v in samples[f"{ATTEMPTS}_sum"])
    count = sum(v for _, v in samples[f"{ATTEMPTS}_count"])
    attempts = sum(outcomes.values())
    return {
        "inbound": dict(inbound),
        "deliveries": dict(outcomes),
        "success_rate": round(outcomes["delivered"] / attempts, 4) if attempts else None,
        "attempt_seconds": {
            "mean": round(seconds / count, 4) if count else None,
            "p95_at_most": _quantile(buckets, 0.95),
        },
    }


@accepts()
async def overview(request: Request) -> JSONResponse:
    hub = hub_of(request)
    now = hub.clock.now()
    pending, oldest = await hub.store.backlog()
    age = max(0.0, now - oldest) if oldest is not None else 0.0
    issues_open = len(await hub.store.live_issues())
    failing = [
        {"id": sub.id, "consecutive_failures": health.failures,
         "failing_since": rfc3339_or_none(health.failing_since)}
        for sub in hub.registry.all()
        if (health := hub.registry.health(sub.id)).failures > 0
    ]  # fmt: skip
    doc: dict[str, Any] = {
        "backlog": {"pending": pending, "oldest_pending_age_seconds": round(age, 3)},
        "issues_open": issues_open,
        "failing_subscriptions": failing,
        "traffic": None,
    }
    if hub.metrics.enabled:
        exposition = hub.metrics.render(Gauges(pending, age, issues_open)).decode()
        doc["traffic"] = traffic(exposition)
    return JSONResponse(doc)


ROUTES = [Route("/overview", overview, methods=["GET"])]
