"""Admins get exactly what they asked for: unknown filters are refused, never ignored; bulk
actions have a dry run; waiting deliveries can be retried now; listings show what matters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub.clock import ManualClock, parse_rfc3339
from tests.helpers import Receiver, Reply, RunningHub, hub_settings, order_data, running_hub
from tests.reliability.test_auth import api_routes, concrete


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[RunningHub]:
    clock = ManualClock(start=1_900_000_000.0)
    async with running_hub(hub_settings(tmp_path), clock=clock) as running:
        yield running


async def test_every_admin_route_refuses_unknown_query_parameters(hub: RunningHub) -> None:
    for path, method in api_routes(hub):
        url = concrete(path) + "?colour=red&shape=round"
        response = await hub.client.request(method, url, headers=hub.admin)
        assert response.status_code == 400, (method, path, response.text)
        problem = response.json()
        assert problem["type"].endswith("/unknown-parameters"), (method, path)
        assert problem["unknown"] == ["colour", "shape"]
        assert "'colour', 'shape'" in problem["detail"] and "takes" in problem["detail"]
        endpoint = next(
            r.endpoint for r in hub.app.routes[-1].routes if r.path == path[4:] and
            method.upper() in (r.methods or ())
        )  # fmt: skip
        assert problem["accepted"] == sorted(endpoint.accepted_query)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/deliveries/replay", {"status": "failed", "colour": "red"}),
        ("/api/deliveries/retry", {"status": "pending"}),  # retry takes no status
        ("/api/subscriptions", {"url": "https://x.example/h", "event": "*", "colour": 1}),
        ("/api/tokens", {"name": "zap", "scope": "all"}),
        ("/api/events/evt_00000000000000000000000000000000/replay", {"subscriptions": ["x"]}),
    ],
)
async def test_unknown_body_fields_are_refused_naming_them(
    hub: RunningHub, path: str, body: dict[str, Any]
) -> None:
    response = await hub.post(path, body)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["type"].endswith("/unknown-parameters")
    assert set(problem["unknown"]) <= set(body) and problem["accepted"]


async def subscribe(hub: RunningHub, receiver: Receiver, sub_id_hint: str) -> str:
    created = await hub.post("/api/subscriptions", {
        "url": receiver.url(sub_id_hint), "events": ["order.*"], "skip_validation": True,
        "retry": {"schedule": [0, 300, 1800], "jitter": 0}})  # fmt: skip
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def failed_deliveries(hub: RunningHub, receiver: Receiver) -> tuple[str, str]:
    """Two subscriptions; three orders each; every attempt fails until it is dead-lettered."""
    first, second = await subscribe(hub, receiver, "a"), await subscribe(hub, receiver, "b")
    receiver.respond(*[Reply(500, b"down")] * 18)
    for n in range(3):
        await hub.send("order.created", order_data(f"F-{n}"), f"msg_f{n}")
    await hub.hub.worker.wait_recorded(6)
    for elapsed in (300, 1800):
        assert isinstance(hub.clock, ManualClock)
        hub.clock.advance(elapsed)
        await hub.hub.worker.wait_recorded(6 + (6 if elapsed == 300 else 12))
    return first, second


async def test_filters_narrow_listings_and_bulk_replays(hub: RunningHub) -> None:
    async with Receiver() as receiver:
        first, second = await failed_deliveries(hub, receiver)
        one = await hub.get("/api/deliveries", subject="order/F-1")
        assert {d["subject"] for d in one["items"]} == {"order/F-1"} and len(one["items"]) == 2
        listed = one["items"][0]
        assert listed["event_type"] == "order.created" and listed["attempt_count"] == 3
        assert listed["status"] == "failed" and listed["last_status_code"] == 500
        typed = await hub.get("/api/deliveries", event_type="order.created", subscription=first)
        assert len(typed["items"]) == 3

        narrow = {"status": "failed", "subscription": first, "subject": "order/F-2"}
        dry = await hub.post("/api/deliveries/replay", narrow | {"dry_run": True})
        assert dry.status_code == 200
        assert dry.json()["count"] == 1 and dry.json()["first"][0]["subject"] == "order/F-2"
        assert (await hub.get("/api/deliveries", status="pending"))["items"] == []

        receiver.respond(*[Reply(200)] * 10)
        queued = await hub.post("/api/deliveries/replay", narrow)
        assert queued.status_code == 202
        assert queued.json() == {"queued": 1, "remaining": 0, "skipped": {}}
        await hub.hub.worker.wait_recorded(19)
        failed = await hub.get("/api/deliveries", status="failed")
        assert len(failed["items"]) == 5  # only the one asked for was replayed
        assert second in {d["subscription_id"] for d in failed["items"]}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/deliveries"), ("POST", "/api/deliveries/replay"),
     ("POST", "/api/deliveries/retry")],
)  # fmt: skip
async def test_a_filter_naming_an_unknown_subscription_is_a_404(
    hub: RunningHub, method: str, path: str
) -> None:
    response = await hub.client.request(
        method, path, params={"subscription": "sub_nope"}, headers=hub.admin
    )
    assert response.status_code == 404, response.text
    assert "sub_nope" in response.json()["detail"]


async def test_deliveries_waiting_out_a_backoff_can_be_retried_now(hub: RunningHub) -> None:
    async with Receiver() as receiver:
        first = await subscribe(hub, receiver, "a")
        receiver.respond(*[Reply(503, b"busy")] * 3)
        for n in range(3):
            await hub.send("order.created", order_data(f"W-{n}"), f"msg_w{n}")
        await hub.hub.worker.wait_recorded(3)  # each failed once; next try in 300 s
        waiting = (await hub.get("/api/deliveries", status="pending"))["items"]
        assert {d["next_attempt_at"] is not None for d in waiting} == {True}
        one = await hub.post(f"/api/deliveries/{waiting[0]['id']}/retry")
        assert one.status_code == 202, one.text
        await hub.hub.worker.wait_recorded(4)  # sent now, without moving the clock
        dry = await hub.post("/api/deliveries/retry", {"subscription": first, "dry_run": True})
        assert dry.json()["count"] == 2
        bulk = await hub.post("/api/deliveries/retry", {"subscription": first})
        assert bulk.json() == {"retried": 2, "remaining": 0, "skipped": {}}
        await hub.hub.worker.wait_recorded(6)
        assert (await hub.get("/api/deliveries", status="pending"))["items"] == []
        done = await hub.post(f"/api/deliveries/{waiting[0]['id']}/retry")
        assert done.status_code == 409 and "replay it instead" in done.json()["detail"]


async def test_since_takes_durations(tmp_path: Path) -> None:
    # The walk-through's events say they happened at 09:30; the hub's clock is a minute later.
    clock = ManualClock(start=parse_rfc3339("2026-11-20T09:31:00Z"))
    async with running_hub(hub_settings(tmp_path), clock=clock) as hub:
        await hub.send("order.created", order_data("T-1"), "msg_t1")
        assert len((await hub.get("/api/events", since="1h"))["items"]) == 1
        assert len((await hub.get("/api/deliveries", since="5m"))["items"]) == 0  # none routed
        clock.advance(7200)
        assert (await hub.get("/api/events", since="1h"))["items"] == []
        assert len((await hub.get("/api/events", since="3h"))["items"]) == 1
        bad = await hub.client.get("/api/events", params={"since": "soon"}, headers=hub.admin)
        assert bad.status_code == 400 and "duration" in bad.json()["detail"]
