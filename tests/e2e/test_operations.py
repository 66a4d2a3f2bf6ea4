"""What a running `hub serve` tells its operators: JSON log lines, the audit trail's lines,
and metrics summed over several processes, with no secret anywhere in them."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import SUBSCRIBER_SECRET, Receiver, Reply, sign_inbound, subscriptions_yaml
from tests.reliability.process import CONNECTOR_SECRET, serve_hub_process

TOKEN = "ops-admin-token-0123456789abcdef"
METRICS_TOKEN = "ops-metrics-token-0123456789abcdef"


def signed(body: bytes, msg_id: str) -> dict[str, str]:
    now = time.time()
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now)),
        "webhook-signature": sign_inbound(body, msg_id, now, CONNECTOR_SECRET),
    }


def order(order_id: str) -> bytes:
    data = {"order_id": order_id, "currency": "EUR", "total": "1.00", "lines": []}
    return json.dumps(
        {"type": "order.created", "timestamp": "2026-11-20T09:30:00Z", "data": data}
    ).encode()


async def wait_for(client: httpx.AsyncClient, path: str, admin: dict[str, str], n: int) -> None:
    """Until the hub has recorded `n` attempts (read over its API, as an operator would)."""
    for _ in range(200):
        items = (await client.get(path, headers=admin)).json()["items"]
        if sum(d["attempt_count"] for d in items) >= n:
            return
        await __import__("asyncio").sleep(0.05)  # a separate process: poll its API
    raise AssertionError(f"fewer than {n} attempts recorded")


async def test_json_logs_name_failures_and_admin_actions_without_secrets(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(Reply(500), Reply(500))
        (tmp_path / "subs.yaml").write_text(subscriptions_yaml([
            {"id": "erp", "url": receiver.url(), "events": ["order.*"],
             "secret": SUBSCRIBER_SECRET, "retry": {"schedule": [0]}}]))  # fmt: skip
        extra = {
            "HUB_SUBSCRIPTIONS": str(tmp_path / "subs.yaml"), "HUB_LOG_FORMAT": "json",
            "HUB_LOG_LEVEL": "info", "HUB_ALLOW_TARGETS": "127.0.0.0/8",
            "HUB_METRICS_TOKEN": METRICS_TOKEN, "HUB_RULES": "off",
        }  # fmt: skip
        admin = {"authorization": f"Bearer {TOKEN}"}
        with serve_hub_process(tmp_path, TOKEN, extra) as (url, _):
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                body = order("L-1")
                headers = signed(body, "msg_l1") | {"x-request-id": "trace-l1"}
                accepted = await client.post("/webhooks/standard", content=body, headers=headers)
                await client.post(
                    "/webhooks/standard",
                    content=body,
                    headers={"content-type": "application/json", "webhook-signature": "v1,bad"},
                )
                await wait_for(client, "/api/deliveries?status=failed", admin, 1)
                [failed] = (await client.get("/api/deliveries", headers=admin)).json()["items"]
                await client.post(f"/api/deliveries/{failed['id']}/replay", headers=admin)
                token = await client.post("/api/tokens", json={"name": "flow"}, headers=admin)
                await client.get("/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"})
                await wait_for(client, "/api/deliveries?status=failed", admin, 2)
    assert accepted.status_code == 202
    text = (tmp_path / "hub.log").read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines if not line.startswith("hub: serving on")]
    assert len(parsed) == len(lines) - 1, text  # every line but the announcement is JSON
    messages = [line["message"] for line in parsed]
    assert any(m.startswith(f"delivery {failed['id']} to erp dead-lettered") for m in messages)
    assert any(m.startswith("refused standard webhook: 401") for m in messages)
    actions = [line.get("action") for line in parsed if line["logger"] == "hub.audit"]
    assert actions == ["replay_delivery", "create_token"]
    for secret in (TOKEN, METRICS_TOKEN, CONNECTOR_SECRET, SUBSCRIBER_SECRET,
                   token.json()["token"]):  # fmt: skip
        assert secret not in text


def scrape(url: str, token: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = httpx.get(f"{url}/metrics", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_metrics_sum_every_process_sharing_a_multiprocess_directory(tmp_path: Path) -> None:
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(shared), "HUB_RULES": "off"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        serve_hub_process(tmp_path / "a", TOKEN, env) as (first, _),
        serve_hub_process(tmp_path / "b", TOKEN, env) as (second, _),
    ):
        for n, url in enumerate([first, first, second]):
            body = order(f"P-{n}")
            sent = httpx.post(
                f"{url}/webhooks/standard", content=body, headers=signed(body, f"p{n}")
            )
            assert sent.status_code == 202, sent.text
        accepted = ("hub_webhooks_received_total",
                    frozenset({("connector", "standard"), ("outcome", "accepted")}))  # fmt: skip
        # Each process moves its counts to the shared directory within a second.
        for _ in range(40):
            samples = scrape(second, TOKEN)
            if samples.get(accepted) == 3:
                break
            time.sleep(0.1)  # another process's flush: nothing here to await
    assert samples[accepted] == 3
    assert samples[("hub_events_total", frozenset({("type", "order.created")}))] == 3
