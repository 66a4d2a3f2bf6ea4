"""The two API routes the console's first pages stand on: `/api/search` and `/api/overview`."""

from __future__ import annotations

import json
from pathlib import Path

from hub.config import PROJECT_ROOT
from tests.helpers import (
    CONNECTOR_SECRET,
    SUBSCRIBER_SECRET,
    Receiver,
    Reply,
    hub_settings,
    order_data,
    running_hub,
    subscriptions_yaml,
)


def subscribe(tmp_path: Path, url: str) -> None:
    entry = {"id": "erp", "url": url, "secret": SUBSCRIBER_SECRET, "events": ["order.created"],
             "retry": {"schedule": [0]}}  # fmt: skip
    (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([entry]))


async def test_search_finds_each_kind_by_its_ids(tmp_path: Path) -> None:
    subscribe(tmp_path, "http://127.0.0.1:9/erp")
    settings = hub_settings(tmp_path, rules=str(PROJECT_ROOT / "rules.yaml"))
    async with running_hub(settings) as hub:
        refs = {"references": {"shipstation": {"order_number": "SS-77"}}}
        sent = await hub.send("order.created", order_data("1042", **refs), "msg_vendor_1")
        [event_id] = sent.json()["event_ids"]
        await hub.hub.worker.wait_recorded(1)
        event = await hub.get(f"/api/events/{event_id}")
        [delivery] = event["deliveries"]
        by = {q: (await hub.get("/api/search", q=q))["items"] for q in
              [event_id, delivery["id"], event["receipt_id"], "msg_vendor_1", "1042", "SS-77",
               "nothing-like-this"]}  # fmt: skip
        empty = await hub.client.get("/api/search", headers=hub.admin)
        long = await hub.client.get("/api/search", params={"q": "x" * 201}, headers=hub.admin)
        unknown = await hub.client.get(
            "/api/search", params={"q": "1", "x": "1"}, headers=hub.admin
        )
    # The record an id names first; then, once indexed, the events whose payload mentions it
    # (the hub's own events name the deliveries and events they are about).
    for q, kind in [(event_id, "event"), (delivery["id"], "delivery"),
                    (event["receipt_id"], "receipt")]:  # fmt: skip
        assert (by[q][0]["kind"], by[q][0]["id"]) == (kind, q)
        assert {h["kind"] for h in by[q][1:]} <= {"event"} and q not in [h["id"] for h in by[q][1:]]
    assert [(h["kind"], h["id"]) for h in by["msg_vendor_1"]][:1] == [("event", event_id)]
    for q in ["1042", "SS-77"]:  # the object first, then events that mention it
        assert [(h["kind"], h.get("type"), h.get("key")) for h in by[q][:1]] == [
            ("object", "order", "1042")]  # fmt: skip
        assert {h["kind"] for h in by[q][1:]} <= {"event"}
    assert by["nothing-like-this"] == []
    assert [empty.status_code, long.status_code, unknown.status_code] == [400, 400, 400]
    assert empty.headers["content-type"] == "application/problem+json"


async def test_search_and_overview_are_for_admins(tmp_path: Path) -> None:
    subscribe(tmp_path, "http://127.0.0.1:9/erp")
    async with running_hub(hub_settings(tmp_path)) as hub:
        token = (await hub.post("/api/tokens", {"name": "flow"})).json()["token"]
        flow = {"authorization": f"Bearer {token}"}
        answers = [
            (await hub.client.get(path, params=params, headers=flow)).status_code
            for path, params in [("/api/search", {"q": "1042"}), ("/api/overview", {})]
        ]
    assert answers == [403, 403]


async def test_overview_counts_traffic_backlog_and_failures(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(Reply(503, b"down"), Reply(200), Reply(200, hold=True))
        subscribe(tmp_path, receiver.url())
        async with running_hub(hub_settings(tmp_path)) as hub:
            for n in range(3):
                await hub.send("order.created", order_data(f"O-{n}"), f"m{n}")
            await hub.send("order.created", order_data("O-0"), "m0")  # a vendor's retry
            forged_headers = {"content-type": "application/json", "webhook-id": "f",
                              "webhook-timestamp": str(int(hub.clock.now())),
                              "webhook-signature": "v1,Zm9v"}  # fmt: skip
            forged = await hub.client.post(
                "/webhooks/standard", content=b"{}", headers=forged_headers
            )
            await hub.hub.worker.wait_recorded(2)
            await receiver.next()
            await receiver.next()
            await receiver.next()  # the third is held: in flight, so still pending
            doc = await hub.get("/api/overview")
            issues = (await hub.get("/api/issues"))["items"]
            health = (await hub.get("/api/subscriptions/erp"))["health"]
            receiver.release()
    assert forged.status_code == 401
    assert doc["traffic"]["inbound"]["standard"] == {"accepted": 3, "duplicate": 1, "refused": 1}
    assert doc["traffic"]["deliveries"] == {"failed": 1, "delivered": 1}
    assert doc["traffic"]["success_rate"] == 0.5
    assert doc["traffic"]["attempt_seconds"]["mean"] is not None
    assert doc["backlog"]["pending"] == 1
    # The two attempts ran side by side, so which was recorded last (leaving the subscription
    # failing or not, its issue open or resolved) is up to the race; the overview agrees with
    # the issues and the subscription's health either way.
    assert doc["issues_open"] == len([i for i in issues if i["status"] != "resolved"])
    failing = [{"id": "erp", "consecutive_failures": 1}] if health["consecutive_failures"] else []
    assert [{k: s[k] for k in ("id", "consecutive_failures")}
            for s in doc["failing_subscriptions"]] == failing  # fmt: skip


async def test_every_receipt_keeps_its_request_headers_masked(tmp_path: Path) -> None:
    subscribe(tmp_path, "http://127.0.0.1:9/erp")
    async with running_hub(hub_settings(tmp_path)) as hub:
        extra = {"x-shop-domain": "acme.example", "authorization": "Bearer vendor-credential"}
        doc = {"type": "order.created", "timestamp": "2026-11-20T09:30:00Z", "data": order_data()}
        body = json.dumps(doc).encode()
        sent = await hub.send_raw(body, "msg_h", headers=extra)
        [event_id] = sent.json()["event_ids"]
        event = await hub.get(f"/api/events/{event_id}")
        receipt = await hub.get(f"/api/receipts/{event['receipt_id']}")
    kept = receipt["headers"]
    assert kept["x-shop-domain"] == "acme.example"
    assert kept["authorization"] == kept["webhook-signature"] == "[redacted]"
    assert "vendor-credential" not in str(receipt) and CONNECTOR_SECRET not in str(receipt)


async def test_search_finds_text_in_a_payload_once_indexed(tmp_path: Path) -> None:
    subscribe(tmp_path, "http://127.0.0.1:9/erp")
    async with running_hub(hub_settings(tmp_path)) as hub:
        sent = await hub.send("order.created", order_data("P-1", note="gift wrap in blue"), "m")
        [event_id] = sent.json()["event_ids"]
        await hub.hub.indexer.caught_up()
        found = (await hub.get("/api/search", q="wrap in blue"))["items"]
        again = (await hub.get("/api/search", q=event_id))["items"]  # by id, listed once
        ready = (await hub.get("/readyz"))["tasks"]
    assert [(h["kind"], h["id"]) for h in found] == [("event", event_id)]
    assert "its payload" in found[0]["title"]
    assert again[0]["id"] == event_id and [h["id"] for h in again].count(event_id) == 1
    assert ready["search-index"] == "running"


async def test_a_delivery_shows_the_headers_it_sent_with_values_masked(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        entry = {"id": "erp", "url": receiver.url(), "secret": SUBSCRIBER_SECRET,
                 "events": ["order.created"]}  # fmt: skip
        (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([entry]))
        async with running_hub(hub_settings(tmp_path)) as hub:
            made = await hub.post("/api/subscriptions", {
                "url": receiver.url("flow"), "events": ["order.created"],
                "headers": {"x-api-key": "flow-credential-123"},
                "skip_validation": True})  # fmt: skip
            flow = made.json()["id"]
            await hub.send("order.created", order_data("R-1"), "m1")
            await hub.hub.worker.wait_recorded(2)
            listed = await hub.get("/api/deliveries", subscription=flow)
            doc = await hub.get(f"/api/deliveries/{listed['items'][0]['id']}")
    sent = doc["attempts"][0]["request_headers"]
    assert sent["x-api-key"] == "[masked]" and "flow-credential-123" not in str(doc)
    assert sent["webhook-id"] == doc["event_id"] and sent["webhook-timestamp"].isdigit()
    assert sent["content-type"].startswith("application/cloudevents+json")
    assert "not kept" in sent["webhook-signature"]


async def test_a_failed_answer_keeps_its_headers_masked_and_a_success_none(
    tmp_path: Path,
) -> None:
    async with Receiver() as receiver:
        answer = {"retry-after": "0", "set-cookie": "session=receiver-secret", "x-trace": "t-1"}
        receiver.respond(Reply(503, b"busy", answer), Reply(200))
        entry = {"id": "erp", "url": receiver.url(), "secret": SUBSCRIBER_SECRET,
                 "events": ["order.created"], "retry": {"schedule": [0, 0]}}  # fmt: skip
        (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([entry]))
        async with running_hub(hub_settings(tmp_path)) as hub:
            await hub.send("order.created", order_data("R-2"), "m2")
            await hub.hub.worker.wait_recorded(2)
            [listed] = (await hub.get("/api/deliveries"))["items"]
            doc = await hub.get(f"/api/deliveries/{listed['id']}")
    failed, succeeded = doc["attempts"]
    assert failed["status_code"] == 503 and succeeded["status_code"] == 200
    kept = failed["response_headers"]
    assert kept["retry-after"] == "0" and kept["x-trace"] == "t-1"
    assert kept["set-cookie"] == "[redacted]" and "receiver-secret" not in str(doc)
    assert succeeded["response_headers"] is None
