"""Metrics, request ids and the audit trail, against a hub served for real."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from hub.config import Secret
from tests.helpers import (
    CONNECTOR_SECRET,
    SUBSCRIBER_SECRET,
    Receiver,
    Reply,
    RunningHub,
    hub_settings,
    order_data,
    running_hub,
    subscriptions_yaml,
)

METRICS_TOKEN = "metrics-scraper-token-0123456789"


def subscribe(tmp_path: Path, url: str) -> None:
    entry = {"id": "erp", "url": url, "secret": SUBSCRIBER_SECRET, "events": ["order.*"]}
    (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([entry]))


async def scrape(
    hub: RunningHub, token: str | None = None
) -> dict[tuple[str, frozenset[Any]], float]:
    headers = {"authorization": f"Bearer {token}"} if token else hub.admin
    response = await hub.client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict[tuple[str, frozenset[Any]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_counters_move_with_traffic(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        subscribe(tmp_path, receiver.url())
        receiver.respond(Reply(503), Reply(200))
        async with running_hub(hub_settings(tmp_path)) as hub:
            before = await scrape(hub)
            await hub.send("order.created", order_data("M-1"), "msg_m1")
            await hub.send("order.created", order_data("M-1"), "msg_m1")  # the vendor's retry
            await hub.send("order.shipped", order_data("M-2"), "msg_m2")
            refused = await hub.send_raw(b"{}", "msg_bad", headers={"webhook-signature": "v1,x"})
            await hub.client.post("/webhooks/no-such-vendor", content=b"{}")
            await hub.hub.worker.wait_recorded(2)  # M-1's 503, and M-2 delivered
            during = await scrape(hub)
            hub.clock.advance(3600)  # type: ignore[attr-defined]
            await hub.hub.worker.wait_recorded(3)
            after = await scrape(hub)
    assert refused.status_code == 401
    received = "hub_webhooks_received_total"
    assert value(before, received, connector="standard", outcome="accepted") == 0
    assert value(during, received, connector="standard", outcome="accepted") == 2
    assert value(during, received, connector="standard", outcome="duplicate") == 1
    assert value(during, received, connector="standard", outcome="refused") == 1
    # Any name posted to is one bounded label, not a new series per name.
    assert value(during, received, connector="unknown", outcome="refused") == 1
    assert value(during, "hub_events_total", type="order.created") == 1
    assert value(during, "hub_events_total", type="order.shipped") == 1
    assert value(during, "hub_deliveries_total", subscription="erp", outcome="retrying") == 1
    assert value(during, "hub_deliveries_total", subscription="erp", outcome="delivered") == 1
    assert value(during, "hub_deliveries_pending") == 1
    assert value(during, "hub_oldest_pending_delivery_age_seconds") >= 0
    assert value(after, "hub_deliveries_total", subscription="erp", outcome="delivered") == 2
    assert value(after, "hub_deliveries_pending") == 0
    assert value(after, "hub_delivery_attempt_duration_seconds_count", subscription="erp") == 3
    assert value(after, "hub_commit_batch_size_count") > 0


async def test_the_oldest_pending_delivery_ages_on_the_clock(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        subscribe(tmp_path, receiver.url())
        receiver.respond(Reply(503))
        async with running_hub(hub_settings(tmp_path)) as hub:
            await hub.send("order.created", order_data("A-1"), "msg_a1")
            await hub.hub.worker.wait_recorded(1)
            hub.clock.advance(20)  # type: ignore[attr-defined]
            samples = await scrape(hub)
    assert value(samples, "hub_deliveries_pending") == 1
    assert 20 <= value(samples, "hub_oldest_pending_delivery_age_seconds") < 25


async def test_metrics_need_the_admin_or_the_metrics_token(tmp_path: Path) -> None:
    settings = hub_settings(tmp_path, metrics_token=Secret(METRICS_TOKEN))
    async with running_hub(settings) as hub:
        anonymous = await hub.client.get("/metrics")
        wrong = await hub.client.get("/metrics", headers={"authorization": "Bearer nope"})
        await scrape(hub, METRICS_TOKEN)
        await scrape(hub)
        # The metrics token reads metrics and nothing else.
        api = await hub.client.get(
            "/api/events", headers={"authorization": f"Bearer {METRICS_TOKEN}"}
        )
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert wrong.status_code == 401
    assert api.status_code == 401
    assert METRICS_TOKEN not in anonymous.text + wrong.text


async def test_metrics_off_is_a_404(tmp_path: Path) -> None:
    async with running_hub(hub_settings(tmp_path, metrics="off")) as hub:
        response = await hub.client.get("/metrics", headers=hub.admin)
    assert response.status_code == 404


async def test_request_ids_are_echoed_and_kept_with_rejections(tmp_path: Path) -> None:
    async with running_hub(hub_settings(tmp_path)) as hub:
        given = await hub.send_raw(
            b"{}", "msg_r1", headers={"webhook-signature": "v1,x", "x-request-id": "trace-42"}
        )
        made = await hub.send("order.created", order_data("R-1"), "msg_r2")
        forged = await hub.client.get("/healthz", headers={"x-request-id": "bad id level=error"})
        too_long = await hub.client.get("/healthz", headers={"x-request-id": "a" * 129})
        [rejection] = (await hub.get("/api/rejections"))["items"]
    assert given.headers["x-request-id"] == "trace-42"
    assert rejection["request_id"] == "trace-42"
    assert made.headers["x-request-id"].startswith("req_")
    # An id that could forge a log line is replaced, never echoed.
    assert forged.headers["x-request-id"].startswith("req_")
    assert too_long.headers["x-request-id"].startswith("req_")


async def test_a_quarantined_receipt_keeps_its_request_id(tmp_path: Path) -> None:
    never = {"rules": [{"when": {"currency": "ZZZ"}, "assign": {"company": "NONE"}}]}
    standard = {"secrets": ["env:STD_SECRET"], "company_policy": never}
    (tmp_path / "connectors.yaml").write_text(json.dumps({"connectors": {"standard": standard}}))
    env = {"STD_SECRET": CONNECTOR_SECRET}
    async with running_hub(hub_settings(tmp_path), env) as hub:
        body = json.dumps({"type": "order.created", "timestamp": "2026-11-20T09:30:00Z",
                           "data": order_data("Q-1")}).encode()  # fmt: skip
        response = await hub.send_raw(body, "msg_q1", headers={"x-request-id": "trace-q1"})
        receipts = (await hub.get("/api/receipts"))["items"]
        samples = await scrape(hub)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "quarantined"
    assert [r["request_id"] for r in receipts] == ["trace-q1"]
    received = "hub_webhooks_received_total"
    assert value(samples, received, connector="standard", outcome="quarantined") == 1


async def test_the_audit_trail_lists_admin_and_token_actions(tmp_path: Path) -> None:
    async with Receiver(consent="*") as receiver, running_hub(hub_settings(tmp_path)) as hub:
        created = await hub.post("/api/tokens", {"name": "zap-orders"})
        token = created.json()["token"]
        flow = {"authorization": f"Bearer {token}", "x-request-id": "flow-1"}
        subscribed = await hub.client.post(
            "/api/subscriptions",
            json={"url": receiver.url(), "events": ["order.created"]},
            headers=flow,
        )
        sub_id = subscribed.json()["id"]
        paused = await hub.client.patch(
            f"/api/subscriptions/{sub_id}", json={"state": "paused"}, headers=flow
        )
        refused = await hub.client.post("/api/tokens", json={"name": "x"}, headers=flow)
        await hub.client.get("/api/subscriptions", headers=flow)  # a read: not audited
        dry = await hub.post("/api/deliveries/replay", {"dry_run": True})
        trail = (await hub.get("/api/audit"))["items"]
        mine = (await hub.get("/api/audit", actor=created.json()["id"]))["items"]
        scoped = await hub.client.get("/api/audit", headers=flow)
    assert subscribed.status_code == 201 and paused.status_code == 200
    assert refused.status_code == 403
    actions = [(e["action"], e["actor"]["name"], e["status"]) for e in reversed(trail)]
    assert dry.status_code == 200
    assert actions == [
        ("create_token", "admin", 201),
        ("create_subscription", "zap-orders", 201),
        ("patch_subscription", "zap-orders", 200),
        ("replay_deliveries_dry_run", "admin", 200),  # a dry run replays nothing
    ]
    made_token, made_subscription, patch = trail[-1], trail[-2], trail[1]
    assert made_token["target"] == {"token_id": created.json()["id"], "token_name": "zap-orders"}
    assert made_subscription["target"] == {"subscription_id": sub_id}
    assert patch["target"] == {"id": sub_id}
    assert patch["method"] == "PATCH"
    assert patch["path"] == f"/api/subscriptions/{sub_id}"
    assert patch["via"] == "api"
    assert patch["remote"] == "127.0.0.1"
    assert patch["request_id"] == "flow-1"
    assert [e["action"] for e in mine] == ["patch_subscription", "create_subscription"]
    assert scoped.status_code == 403  # the trail is the admin's
    assert token not in str(trail)
