"""Subscriptions over the API, with real receivers playing Zapier, Power Automate and
CloudEvents targets: consent, filters, pause, rotation, 410 and scoped tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from hub.clock import ManualClock
from tests.helpers import Receiver, Reply, RunningHub, hub_settings, order_data, running_hub


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[RunningHub]:
    async with running_hub(hub_settings(tmp_path)) as running:
        yield running


async def subscribe(
    hub: RunningHub, body: dict[str, Any], token: str | None = None
) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else hub.admin
    return await hub.client.post("/api/subscriptions", json=body, headers=headers)


async def test_zapier_rest_hooks_subscribe_deliver_unsubscribe(hub: RunningHub) -> None:
    async with Receiver(consent="*") as zap:
        created = await subscribe(hub, {"target_url": zap.url(), "event": "order.created"})
        assert created.status_code == 201, created.text
        doc = created.json()
        assert doc["state"] == "active" and doc["secret"].startswith("whsec_")
        assert (await hub.send("order.created", order_data("Z-1"), "msg_z1")).status_code == 202
        got = await zap.next()
        assert Webhook(doc["secret"]).verify(got.body, got.headers)["data"]["order_id"] == "Z-1"
        assert got.headers["webhook-request-origin"] == "webhook-hub"
        shown = await hub.get(f"/api/subscriptions/{doc['id']}")
        assert "secret" not in shown and shown["origin"] == "api"
        gone = await hub.client.delete(f"/api/subscriptions/{doc['id']}", headers=hub.admin)
        assert gone.status_code == 204
        await hub.send("order.created", order_data("Z-2"), "msg_z2")
        assert (
            await hub.client.get(f"/api/subscriptions/{doc['id']}", headers=hub.admin)
        ).status_code == 404
        assert zap.received.empty()


async def test_a_target_answering_410_is_unsubscribed_and_the_log_says_why(hub: RunningHub) -> None:
    async with Receiver(consent="*") as zap:
        doc = (await subscribe(hub, {"target_url": zap.url(), "events": ["order.*"]})).json()
        zap.respond(Reply(410, b"Gone"))
        await hub.send("order.created", order_data("G-1"), "msg_g1")
        await zap.next()
        await hub.hub.worker.wait_recorded(1)
        deliveries = (await hub.get("/api/deliveries", subscription=doc["id"]))["items"]
        assert deliveries[0]["status"] == "failed"
        assert "unsubscribed: the target answered 410 Gone" in (deliveries[0]["last_error"] or "")
        listed = (await hub.get("/api/subscriptions"))["items"]
        assert doc["id"] not in [s["id"] for s in listed]


async def test_power_automate_subscribes_with_a_callback_and_deletes_location(
    hub: RunningHub,
) -> None:
    async with Receiver(consent="*") as flow:
        created = await subscribe(hub, {"callbackUrl": flow.url("workflows/1/invoke"),
                                        "events": ["order.shipped"]})  # fmt: skip
        assert created.status_code == 201
        location = created.headers["location"]
        assert location.endswith(f"/api/subscriptions/{created.json()['id']}")
        for key in ("callback_url", "hub.callback"):
            other = await subscribe(hub, {key: flow.url(f"{key}"), "event": "order.shipped"})
            assert other.status_code == 201, other.text
        gone = await hub.client.delete(location, headers=hub.admin)
        assert gone.status_code == 204
        assert (await hub.client.delete(location, headers=hub.admin)).status_code == 404
        by_callback = {"callback_url": flow.url("callback_url")}
        dropped = await hub.client.delete(
            "/api/subscriptions", params=by_callback, headers=hub.admin
        )
        assert dropped.status_code == 204
        again = await hub.client.delete("/api/subscriptions", params=by_callback, headers=hub.admin)
        assert again.status_code == 404
        left = [s["url"] for s in (await hub.get("/api/subscriptions"))["items"]]
        assert left == [flow.url("hub.callback")]


@pytest.mark.parametrize(
    ("consent", "echo", "state", "method"),
    [("*", False, "active", "cloudevents"), ("webhook-hub", False, "active", "cloudevents"),
     ("someone-else", False, "pending_validation", None), (None, True, "active", "code"),
     (None, False, "pending_validation", None)],
)  # fmt: skip
async def test_targets_must_consent(
    hub: RunningHub, consent: str | None, echo: bool, state: str, method: str | None
) -> None:
    async with Receiver(consent=consent, echo_code=echo) as target:
        doc = (await subscribe(hub, {"url": target.url(), "events": ["order.*"]})).json()
        assert (doc["state"], doc["validated_by"]) == (state, method)
        assert target.validations[0].headers.get("webhook-request-origin") == "webhook-hub"
        await hub.send("order.created", order_data("V-1"), "msg_v1")
        pending = (await hub.get("/api/deliveries", subscription=doc["id"]))["items"]
        assert len(pending) == (1 if state == "active" else 0)  # nothing owed without consent
        if state == "pending_validation":
            assert "OPTIONS" in doc["validation"]
            target.consent = "*"
            again = await hub.post(f"/api/subscriptions/{doc['id']}/validate")
            assert again.json()["state"] == "active"


async def test_an_admin_may_skip_validation_a_scoped_token_may_not(hub: RunningHub) -> None:
    async with Receiver() as target:
        body = {"url": target.url(), "events": ["order.*"], "skip_validation": True}
        assert (await subscribe(hub, body)).json()["validated_by"] == "skipped"
        token = (await hub.post("/api/tokens", {"name": "flow"})).json()["token"]
        assert (await subscribe(hub, body, token)).status_code == 403


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({"events": ["order.*"]}, {""}),
        ({"url": "ftp://x", "events": ["order.*"]}, {"/url"}),
        ({"url": "http://x.test/h", "event": "order.teleported"}, {"/event"}),
        ({"url": "http://x.test/h", "events": ["order.*"], "filter": {"total": {"$gt": [1]}}},
         {"/filter/total/$gt"}),
        ({"url": "http://x.test/h", "events": ["order.*"], "headers": {"webhook-id": "x"}},
         {"/headers/webhook-id"}),
        ({"url": "http://x.test/h", "events": ["order.*"], "timeout": 500}, {"/timeout"}),
        ({"url": "http://x.test/h", "events": ["order.*"], "retry": {"schedule": []}}, {"/retry"}),
        ({"url": "http://x.test/h", "events": ["order.*"],
          "expiration_date": "2001-01-01T00:00:00Z"}, {"/expiration_date"}),
    ],
)  # fmt: skip
async def test_bad_registrations_are_422_with_pointers(
    hub: RunningHub, body: dict[str, Any], pointers: set[str]
) -> None:
    response = await subscribe(hub, body)
    assert response.status_code == 422
    assert {e["pointer"] for e in response.json()["errors"]} == pointers


async def test_filters_company_and_custom_headers(hub: RunningHub) -> None:
    async with Receiver(consent="*") as target:
        body = {"url": target.url(), "events": ["order.*"], "filter": {"total": {"$gte": 100}},
                "headers": {"X-Api-Key": "k-123"}}  # fmt: skip
        await subscribe(hub, body)
        await hub.send("order.created", order_data("F-1", total="25.00"), "msg_f1")
        await hub.send("order.created", order_data("F-2", total="250.00"), "msg_f2")
        got = await target.next()
        assert got.json()["data"]["order_id"] == "F-2"
        assert got.headers["x-api-key"] == "k-123"
        assert target.received.empty()


async def test_pause_holds_deliveries_until_resume(tmp_path: Path) -> None:
    clock = ManualClock(start=1_900_000_000.0)
    async with (
        Receiver(consent="*") as target,
        running_hub(hub_settings(tmp_path), clock=clock) as hub,
    ):
        doc = (await subscribe(hub, {"url": target.url(), "events": ["order.*"]})).json()
        paused = await hub.client.patch(f"/api/subscriptions/{doc['id']}", json={"state": "paused"},
                                        headers=hub.admin)  # fmt: skip
        assert paused.json()["state"] == "paused"
        await hub.send("order.created", order_data("P-1"), "msg_p1", timestamp=clock.now())
        clock.advance(60)
        assert target.received.empty()
        [held] = (await hub.get("/api/deliveries", subscription=doc["id"]))["items"]
        assert (held["status"], held["attempt_count"]) == ("pending", 0)
        path = f"/api/subscriptions/{doc['id']}"
        resumed = await hub.client.patch(path, json={"state": "active"}, headers=hub.admin)
        assert resumed.json()["state"] == "active"
        assert (await target.next()).json()["data"]["order_id"] == "P-1"


async def test_secret_rotation_signs_with_both_during_the_grace_period(tmp_path: Path) -> None:
    clock = ManualClock(start=1_900_000_000.0)
    async with (
        Receiver(consent="*") as target,
        running_hub(hub_settings(tmp_path), clock=clock) as hub,
    ):
        doc = (await subscribe(hub, {"url": target.url(), "events": ["order.*"]})).json()
        rotated = (await hub.post(f"/api/subscriptions/{doc['id']}/rotate-secret",
                                  {"grace_seconds": 3600})).json()  # fmt: skip
        old, new = doc["secret"], rotated["secret"]
        assert old != new and rotated["secrets"] == 2
        await hub.send("order.created", order_data("R-1"), "msg_r1", timestamp=clock.now())
        during = await target.next()
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        Webhook(old).verify(during.body, during.headers)
        Webhook(new).verify(during.body, during.headers)
        clock.advance(3601)
        await hub.send("order.created", order_data("R-2"), "msg_r2", timestamp=clock.now())
        after = await target.next()
        Webhook(new).verify(after.body, after.headers)
        with pytest.raises(Exception, match="No matching signature"):
            Webhook(old).verify(after.body, after.headers)


async def test_scoped_tokens_see_only_their_own(hub: RunningHub) -> None:
    async with Receiver(consent="*") as target:
        a = (await hub.post("/api/tokens", {"name": "zap-a"})).json()["token"]
        b = (await hub.post("/api/tokens", {"name": "zap-b"})).json()["token"]
        mine = (await subscribe(hub, {"url": target.url(), "events": ["order.*"]}, a)).json()
        await hub.send("order.created", order_data("S-1"), "msg_s1")
        await target.next()

        def as_(token: str) -> dict[str, str]:
            return {"authorization": f"Bearer {token}"}

        c = hub.client
        assert (await c.get(f"/api/subscriptions/{mine['id']}", headers=as_(a))).status_code == 200
        assert (await c.get(f"/api/subscriptions/{mine['id']}", headers=as_(b))).status_code == 404
        assert (
            await c.delete(f"/api/subscriptions/{mine['id']}", headers=as_(b))
        ).status_code == 404
        assert (await c.get("/api/subscriptions", headers=as_(b))).json()["items"] == []
        listed = (await c.get("/api/subscriptions", headers=as_(a))).json()["items"]
        assert [s["id"] for s in listed] == [mine["id"]]  # not the file's, not others'
        own = await c.get("/api/deliveries", params={"subscription": mine["id"]}, headers=as_(a))
        [delivery] = own.json()["items"]
        assert (await c.get(f"/api/deliveries/{delivery['id']}", headers=as_(a))).status_code == 200
        assert (await c.get(f"/api/deliveries/{delivery['id']}", headers=as_(b))).status_code == 404
        theirs = {"subscription": mine["id"]}
        assert (await c.get("/api/deliveries", params=theirs, headers=as_(b))).status_code == 404
        admin_only = [("POST", f"/api/events/{delivery['event_id']}/replay"),
                      ("GET", "/api/tokens"), ("GET", "/api/rejections"),
                      ("POST", "/api/partners"), ("POST", "/api/tokens")]  # fmt: skip
        for method, path in admin_only:
            assert (await c.request(method, path, headers=as_(a))).status_code == 403
        assert (await c.get("/api/event-types", headers=as_(a))).status_code == 200
        # A token of no partner (as every token was before partners) reads no events.
        no_events = await c.get("/api/events", headers=as_(a))
        assert no_events.status_code == 403 and "no partner" in no_events.json()["detail"]
        # Its bulk replay reaches its own deliveries only (b has none).
        bulk = await c.post("/api/deliveries/replay", json={"status": "succeeded"}, headers=as_(b))
        assert bulk.status_code == 202 and bulk.json()["queued"] == 0
        theirs_replayed = await c.post(f"/api/deliveries/{delivery['id']}/replay", headers=as_(b))
        assert theirs_replayed.status_code == 404  # a scoped token replays only its own
        assert (await c.get("/api/subscriptions", headers=as_("hubt_wrong"))).status_code == 401


async def test_api_subscriptions_and_tokens_survive_a_restart(tmp_path: Path) -> None:
    async with Receiver(consent="*") as target:
        async with running_hub(hub_settings(tmp_path)) as hub:
            doc = (await subscribe(hub, {"url": target.url(), "events": ["order.*"]})).json()
            token = (await hub.post("/api/tokens", {"name": "kept"})).json()["token"]
        async with running_hub(hub_settings(tmp_path)) as hub:
            listed = await hub.client.get(
                "/api/subscriptions", headers={"authorization": f"Bearer {token}"}
            )
            assert listed.status_code == 200
            await hub.send("order.created", order_data("K-1"), "msg_k1")
            got = await target.next()
            assert Webhook(doc["secret"]).verify(got.body, got.headers)["data"]["order_id"] == "K-1"


async def test_the_openapi_document_is_served_without_a_token(hub: RunningHub) -> None:
    response = await hub.client.get("/openapi.json")
    assert response.status_code == 200
    assert "/api/subscriptions" in response.json()["paths"]


async def test_an_expired_subscription_receives_nothing_more(tmp_path: Path) -> None:
    from hub.clock import to_rfc3339

    clock = ManualClock(start=1_900_000_000.0)
    async with (
        Receiver(consent="*") as target,
        running_hub(hub_settings(tmp_path), clock=clock) as hub,
    ):
        body = {"url": target.url(), "events": ["order.*"],
                "expiration_date": to_rfc3339(clock.now() + 60)}  # fmt: skip
        doc = (await subscribe(hub, body)).json()
        assert doc["expiration_date"] == body["expiration_date"]  # Zapier resubscribes by it
        await hub.send("order.created", order_data("E-1"), "msg_e1", timestamp=clock.now())
        assert (await target.next()).json()["data"]["order_id"] == "E-1"
        clock.advance(61)
        await hub.send("order.created", order_data("E-2"), "msg_e2", timestamp=clock.now())
        owed = (await hub.get("/api/deliveries", subscription=doc["id"]))["items"]
        assert [d["status"] for d in owed] == ["succeeded"]  # nothing owed for E-2
