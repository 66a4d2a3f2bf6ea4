"""Receiving over real HTTP: every answer of POST /webhooks/{connector}, and its rejection log."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from hub import background
from tests.helpers import (
    ADMIN_TOKEN,
    CONNECTOR_SECRET,
    SUBSCRIBER_SECRET,
    RunningHub,
    hub_settings,
    order_data,
    running_hub,
    subscriptions_yaml,
)


@pytest.fixture
async def hub(tmp_path: Path) -> Any:
    async with running_hub(hub_settings(tmp_path, max_body_bytes=4096)) as running:
        yield running


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    doc: dict[str, Any] = response.json()
    assert doc["status"] == status
    assert doc["type"].endswith("/" + slug)
    assert doc["title"] and doc["detail"]
    return doc


async def test_accepts_a_signed_event_with_202_and_stores_it(hub: RunningHub) -> None:
    response = await hub.send("order.created", order_data("A-1"), "msg_accept")
    assert response.status_code == 202
    [event_id] = response.json()["event_ids"]
    event = await hub.get(f"/api/events/{event_id}")
    assert event["type"] == "order.created"
    assert event["subject"] == "order/A-1"
    assert event["data"]["lines"][0]["sku"] == "GEAR-7"
    assert event["schema_version"] == "2.0"


async def test_a_repeated_sender_id_answers_200_with_the_original_ids(hub: RunningHub) -> None:
    first = await hub.send("order.created", order_data("A-2"), "msg_dup")
    again = await hub.send("order.created", order_data("A-2-changed"), "msg_dup")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {"event_ids": first.json()["event_ids"], "duplicate": True}
    page = await hub.get("/api/events")
    assert [e["id"] for e in page["items"]] == first.json()["event_ids"]


async def test_large_integer_ids_survive_exactly(hub: RunningHub) -> None:
    big = 2**63 + 12345
    data = order_data("A-3", customer={"customer_id": "C1"}, external_id=big)
    response = await hub.send("order.created", data, "msg_big")
    [event_id] = response.json()["event_ids"]
    raw = (await hub.client.get(f"/api/events/{event_id}", headers=hub.admin)).text
    assert str(big) in raw


@pytest.mark.parametrize(
    ("case", "status", "slug"),
    [
        ("malformed-json", 400, "malformed-json"),
        ("invalid-utf8", 400, "malformed-json"),
        ("deeply-nested", 400, "malformed-json"),
        ("bad-signature", 401, "invalid-signature"),
        ("garbage-signature-entry", 401, "invalid-signature"),
        ("bad-base64-signature", 401, "invalid-signature"),
        ("missing-signature", 401, "invalid-signature"),
        ("stale-timestamp", 401, "invalid-signature"),
        ("future-timestamp", 401, "invalid-signature"),
        ("too-large", 413, "payload-too-large"),
        ("not-json", 415, "unsupported-media-type"),
        ("schema-violation", 422, "schema-violation"),
        ("unknown-type", 422, "unknown-event-type"),
        ("not-an-envelope", 422, "schema-violation"),
    ],
)
async def test_each_refusal_is_a_problem_and_is_kept(
    hub: RunningHub, case: str, status: int, slug: str
) -> None:
    now = hub.clock.now()
    good = json.dumps({"type": "order.created", "timestamp": "2026-11-20T09:30:00Z",
                       "data": order_data()}).encode()  # fmt: skip
    body, headers, ts = good, {}, now
    match case:
        case "malformed-json":
            body = b'{"type": "order.created", '
        case "invalid-utf8":
            body = b'{"type": "\xff\xfe"}'
        case "deeply-nested":
            body = b"[" * 1500 + b"]" * 1500  # past the parser's recursion limit
        case "bad-signature":
            headers = {"webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="}
        case "garbage-signature-entry":
            headers = {"webhook-signature": "garbage"}
        case "bad-base64-signature":
            headers = {"webhook-signature": "v1,!!!not-base64!!!"}
        case "missing-signature":
            headers = {"webhook-signature": ""}
        case "stale-timestamp":
            ts = now - 301
        case "future-timestamp":
            ts = now + 301
        case "too-large":
            body = b'{"pad": "' + b"x" * 5000 + b'"}'
        case "not-json":
            headers = {"content-type": "text/plain"}
        case "schema-violation":
            bad = {"order_id": "", "currency": "euro", "lines": []}
            body = json.dumps({"type": "order.created", "timestamp": "2026-11-20T09:30:00Z",
                               "data": bad}).encode()  # fmt: skip
        case "unknown-type":
            body = json.dumps({"type": "order.teleported", "timestamp": "2026-11-20T09:30:00Z",
                               "data": {}}).encode()  # fmt: skip
        case "not-an-envelope":
            body = b'{"hello": "world"}'
    response = await hub.send_raw(body, f"msg_{case}", timestamp=ts, headers=headers)
    doc = assert_problem(response, status, slug)
    kept = (await hub.get("/api/rejections"))["items"]
    assert [r["id"] for r in kept] == [doc["rejection_id"]]
    assert kept[0]["status"] == status
    assert kept[0]["reason"] == doc["title"]
    assert kept[0]["detail"] == doc["detail"]
    assert kept[0]["body_size"] == (len(body) if status != 413 else 0)
    assert kept[0]["headers"].get("webhook-signature") in (None, "[redacted]")


async def test_schema_violation_lists_each_failing_pointer(hub: RunningHub) -> None:
    data = {"order_id": "", "currency": "euro", "lines": [{"sku": "A", "quantity": -1,
            "unit_price": "1.0"}], "total": 12}  # fmt: skip
    response = await hub.send("order.created", data, "msg_pointers")
    doc = assert_problem(response, 422, "schema-violation")
    pointers = {e["pointer"] for e in doc["errors"]}
    assert pointers == {"/data/order_id", "/data/currency", "/data/lines/0/quantity", "/data/total"}
    assert all(e["detail"] for e in doc["errors"])


async def test_unknown_connector_is_404_and_kept(hub: RunningHub) -> None:
    response = await hub.send_raw(b"{}", "msg_x", connector="nosuch")
    assert_problem(response, 404, "unknown-connector")
    kept = (await hub.get("/api/rejections"))["items"]
    assert kept[0]["connector"] == "nosuch"


async def test_a_secret_sent_by_mistake_never_reaches_the_rejection_store(
    hub: RunningHub,
) -> None:
    body = json.dumps({"oops": CONNECTOR_SECRET}).encode()
    response = await hub.send_raw(
        body, "msg_leak", headers={"content-type": "text/plain", "x-note": CONNECTOR_SECRET}
    )
    assert response.status_code == 415
    raw = (await hub.client.get("/api/rejections", headers=hub.admin)).text
    assert CONNECTOR_SECRET not in raw
    assert CONNECTOR_SECRET.removeprefix("whsec_") not in raw
    assert "[redacted]" in raw


async def test_every_configured_secret_is_redacted_from_rejections(tmp_path: Path) -> None:
    (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([
        {"id": "erp", "url": "http://127.0.0.1:9/h", "events": ["order.*"],
         "secret": SUBSCRIBER_SECRET}]))  # fmt: skip
    async with running_hub(hub_settings(tmp_path)) as hub:
        leaked = f"{ADMIN_TOKEN} {SUBSCRIBER_SECRET} {CONNECTOR_SECRET}"
        await hub.send_raw(leaked.encode(), "msg_leak", headers={"x-note": leaked})
        raw = (await hub.client.get("/api/rejections", headers=hub.admin)).text
    for secret in (ADMIN_TOKEN, SUBSCRIBER_SECRET, CONNECTOR_SECRET):
        assert secret not in raw
    assert raw.count("[redacted]") >= 6


async def test_admin_api_refuses_missing_malformed_and_wrong_tokens(hub: RunningHub) -> None:
    for headers in ({}, {"authorization": "Basic abc"}, {"authorization": "Bearer wrong"}):
        response = await hub.client.get("/api/events", headers=headers)
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_health_needs_no_token(hub: RunningHub) -> None:
    assert (await hub.client.get("/healthz")).json() == {"status": "ok"}
    ready = (await hub.client.get("/readyz")).json()
    assert ready["status"] == "ready" and ready["tasks"]["delivery"] == "running"
    assert set(ready["tasks"]) == {"delivery", "state", "search-index"}


async def test_a_loop_that_fails_is_restarted_and_readiness_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(background, "FIRST_PAUSE", 3600.0)  # stopping must not wait it out
    async with running_hub(hub_settings(tmp_path)) as hub:
        claim, met = hub.hub.store.claim, asyncio.Event()

        async def broken(*args: Any) -> Any:
            met.set()  # the loop's supervisor takes the error before the test goes on
            raise RuntimeError("a bug met by one odd row")

        hub.hub.store.claim = broken  # type: ignore[method-assign]
        hub.hub.worker.notify()
        await met.wait()
        assert hub.hub.worker.task.crashes == 1
        not_ready = await hub.client.get("/readyz")
        hub.hub.store.claim = claim  # type: ignore[method-assign]
        assert hub.hub.worker.alive  # waiting to start again, not gone
    assert_problem(not_ready, 503, "service-unavailable")
    assert "the delivery loop is restarting" in not_ready.json()["detail"]


async def test_unknown_routes_and_methods_are_problems_too(hub: RunningHub) -> None:
    assert_problem(await hub.client.get("/nope"), 404, "not-found")
    assert_problem(await hub.client.get("/webhooks/standard"), 405, "method-not-allowed")


async def test_event_listing_pages_with_a_cursor_and_filters(hub: RunningHub) -> None:
    for n in range(3):
        await hub.send("order.created", order_data(f"P-{n}"), f"msg_page_{n}")
    await hub.send("customer.created", {"customer_id": "C-1"}, "msg_page_c")
    first = await hub.get("/api/events", type="order.created", limit=2)
    rest = await hub.get("/api/events", type="order.created", limit=2, cursor=first["next_cursor"])
    subjects = [e["subject"] for e in first["items"] + rest["items"]]
    assert subjects == ["order/P-2", "order/P-1", "order/P-0"]
    assert rest["next_cursor"] is None
    assert [
        e["subject"] for e in (await hub.get("/api/events", subject="customer/C-1"))["items"]
    ] == ["customer/C-1"]
    bad = await hub.client.get("/api/events", params={"cursor": "nope"}, headers=hub.admin)
    assert_problem(bad, 400, "invalid-parameter")
    too_many = await hub.client.get("/api/events", params={"limit": "9999"}, headers=hub.admin)
    assert_problem(too_many, 400, "invalid-parameter")
