"""Fan-out over real HTTP to real local receivers, with time driven by a ManualClock."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from hub.outbound.retry import DEFAULT_SCHEDULE
from hub.store.sqlite import SqliteStore
from tests.helpers import (
    SUBSCRIBER_SECRET,
    Receiver,
    Reply,
    RunningHub,
    hub_settings,
    order_data,
    running_hub,
    subscriptions_yaml,
    verify_outbound,
)


def subscribe(tmp_path: Path, *entries: dict[str, Any]) -> None:
    full = [{"secret": SUBSCRIBER_SECRET, "events": ["order.*"], **e} for e in entries]
    (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml(full))


async def delivery_of(hub: RunningHub, event_id: str) -> dict[str, Any]:
    [delivery] = (await hub.get(f"/api/events/{event_id}"))["deliveries"]
    return await hub.get(f"/api/deliveries/{delivery['id']}")


async def test_delivers_a_signed_cloudevent(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        subscribe(tmp_path, {"id": "erp", "url": receiver.url()})
        async with running_hub(hub_settings(tmp_path)) as hub:
            sent = await hub.send("order.created", order_data("D-1"), "msg_d1",
                                  extra={"company": "USMF"})  # fmt: skip
            [event_id] = sent.json()["event_ids"]
            got = await receiver.next()
            await hub.hub.worker.wait_recorded(1)
            delivery = await delivery_of(hub, event_id)
    cloudevent = verify_outbound(got)
    assert got.headers["content-type"].startswith("application/cloudevents+json")
    assert got.headers["webhook-id"] == event_id
    assert cloudevent["specversion"] == "1.0"
    assert cloudevent["id"] == event_id
    assert cloudevent["type"] == "order.created"
    assert cloudevent["source"] == "/connectors/standard"
    assert cloudevent["subject"] == "order/D-1"
    assert cloudevent["company"] == "USMF"
    assert cloudevent["schemaversion"] == "2.0"
    assert cloudevent["dataschema"] == "urn:webhook-hub:schema:order.created:2.0"
    assert cloudevent["time"] == "2026-11-20T09:30:00.000Z"
    assert cloudevent["data"] == order_data("D-1")
    assert delivery["status"] == "succeeded"
    assert [a["status_code"] for a in delivery["attempts"]] == [200]


async def test_routes_by_type_pattern_and_company(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        subscribe(
            tmp_path,
            {"id": "all", "url": receiver.url("all"), "events": ["*"]},
            {"id": "usmf-orders", "url": receiver.url("usmf"), "company": "USMF"},
            {"id": "customers", "url": receiver.url("cust"), "events": ["customer.created"]},
        )
        async with running_hub(hub_settings(tmp_path)) as hub:
            await hub.send("order.created", order_data("R-1"), "m1", extra={"company": "USMF"})
            await hub.send("order.created", order_data("R-2"), "m2", extra={"company": "DEMF"})
            await hub.send("customer.created", {"customer_id": "C-1"}, "m3")
            await hub.hub.worker.wait_recorded(4)
    paths = sorted((r.path, r.json()["subject"]) for r in receiver.log)
    assert paths == [
        ("/all", "customer/C-1"),
        ("/all", "order/R-1"),
        ("/all", "order/R-2"),
        ("/cust", "customer/C-1"),
        ("/usmf", "order/R-1"),
    ]


async def test_a_duplicate_is_fanned_out_once(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        subscribe(tmp_path, {"id": "erp", "url": receiver.url()})
        async with running_hub(hub_settings(tmp_path)) as hub:
            first = await hub.send("order.created", order_data("U-1"), "msg_once")
            await receiver.next()
            again = await hub.send("order.created", order_data("U-1"), "msg_once")
            await hub.send("order.created", order_data("U-2"), "msg_other")
            await receiver.next()
            await hub.hub.worker.wait_recorded(2)
            deliveries = (await hub.get("/api/deliveries"))["items"]
    assert again.status_code == 200
    assert again.json()["event_ids"] == first.json()["event_ids"]
    assert len(deliveries) == 2
    assert [r.json()["subject"] for r in receiver.log] == ["order/U-1", "order/U-2"]


async def test_retries_follow_the_schedule_in_the_store(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(Reply(500, b"database down"), Reply(503, b"still down"))
        subscribe(tmp_path, {"id": "erp", "url": receiver.url()})
        async with running_hub(hub_settings(tmp_path)) as hub:
            [event_id] = (await hub.send("order.created", order_data(), "m")).json()["event_ids"]
            first = await receiver.next()
            await hub.hub.worker.wait_recorded(1)
            pending = await delivery_of(hub, event_id)
            due = pending["next_attempt_at"]
            hub.clock.advance(DEFAULT_SCHEDULE[1] * 1.1 + 0.01)
            second = await receiver.next()
            await hub.hub.worker.wait_recorded(2)
            hub.clock.advance(DEFAULT_SCHEDULE[2] * 1.1 + 0.01)
            third = await receiver.next()
            await hub.hub.worker.wait_recorded(3)
            done = await delivery_of(hub, event_id)
    assert pending["status"] == "pending"
    assert pending["attempt_count"] == 1
    assert due is not None
    assert {first.headers["webhook-id"], second.headers["webhook-id"],
            third.headers["webhook-id"]} == {event_id}  # fmt: skip
    assert first.body == second.body == third.body
    assert done["status"] == "succeeded"
    attempts = done["attempts"]
    assert [a["status_code"] for a in attempts] == [500, 503, 200]
    assert [a["response_body"] for a in attempts] == ["database down", "still down", "ok"]
    assert all(a["duration_ms"] >= 0 and a["error"] is None for a in attempts)


async def test_retry_after_is_honoured_on_429(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(Reply(429, b"slow down", {"retry-after": "120"}))
        subscribe(tmp_path, {"id": "erp", "url": receiver.url()})
        async with running_hub(hub_settings(tmp_path)) as hub:
            [event_id] = (await hub.send("order.created", order_data(), "m")).json()["event_ids"]
            await receiver.next()
            await hub.hub.worker.wait_recorded(1)
            attempted = hub.clock.now()
            delivery = await hub.hub.store.get_delivery((await delivery_of(hub, event_id))["id"])
            hub.clock.advance(121)
            await receiver.next()
            await hub.hub.worker.wait_recorded(2)
    assert delivery is not None
    assert delivery.next_attempt_at == pytest.approx(attempted + 120)


async def test_410_gone_disables_the_subscription(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(Reply(410, b"gone"))
        subscribe(tmp_path, {"id": "zap", "url": receiver.url()})
        async with running_hub(hub_settings(tmp_path)) as hub:
            [event_id] = (await hub.send("order.created", order_data(), "m1")).json()["event_ids"]
            await receiver.next()
            await hub.hub.worker.wait_recorded(1)
            later = await hub.send("order.created", order_data("G-2"), "m2")
            delivery = await delivery_of(hub, event_id)
            subscription = await hub.get("/api/subscriptions/zap")
            later_event = await hub.get(f"/api/events/{later.json()['event_ids'][0]}")
            replay = await hub.post(f"/api/deliveries/{delivery['id']}/replay")
    assert delivery["status"] == "failed"
    assert delivery["last_status_code"] == 410
    assert subscription["state"] == "disabled"
    assert later_event["deliveries"] == []
    assert replay.status_code == 409


async def test_exhausted_delivery_is_dead_lettered_and_replay_keeps_its_webhook_id(
    tmp_path: Path,
) -> None:
    async with Receiver() as receiver:
        receiver.respond(Reply(500), Reply(500), Reply(500))
        subscribe(
            tmp_path,
            {"id": "erp", "url": receiver.url(), "retry": {"schedule": [0, 10, 10], "jitter": 0}},
        )
        async with running_hub(hub_settings(tmp_path)) as hub:
            [event_id] = (await hub.send("order.created", order_data(), "m")).json()["event_ids"]
            for n in (1, 2, 3):
                await receiver.next()
                await hub.hub.worker.wait_recorded(n)
                hub.clock.advance(10)
            failed = await delivery_of(hub, event_id)
            listed = (await hub.get("/api/deliveries", status="failed"))["items"]
            hub.hub.worker.paused = True  # hold the replay in the queue while we look at it
            replay = await hub.post(f"/api/deliveries/{failed['id']}/replay")
            again = await hub.post(f"/api/deliveries/{failed['id']}/replay")
            hub.hub.worker.paused = False
            hub.hub.worker.notify()
            replayed = await receiver.next()
            await hub.hub.worker.wait_recorded(4)
            done = await delivery_of(hub, event_id)
    assert failed["status"] == "failed"
    assert failed["attempt_count"] == 3
    assert [d["id"] for d in listed] == [failed["id"]]
    assert replay.status_code == 202
    assert again.status_code == 409  # already pending
    assert replayed.headers["webhook-id"] == event_id
    verify_outbound(replayed)
    assert done["status"] == "succeeded"
    assert len(done["attempts"]) == 4


async def test_bulk_replay_queues_by_filter(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(*[Reply(500)] * 3)
        subscribe(tmp_path, {"id": "erp", "url": receiver.url(), "retry": {"schedule": [0]}})
        async with running_hub(hub_settings(tmp_path)) as hub:
            for n in range(3):
                await hub.send("order.created", order_data(f"B-{n}"), f"m{n}")
            await hub.hub.worker.wait_recorded(3)
            answer = await hub.post("/api/deliveries/replay", {"subscription": "erp"})
            for _ in range(3):
                verify_outbound(await receiver.next())
            await hub.hub.worker.wait_recorded(6)
            failed_after = (await hub.get("/api/deliveries", status="failed"))["items"]
    assert answer.status_code == 202
    assert answer.json() == {"queued": 3, "remaining": 0, "skipped": {}}
    assert failed_after == []


async def test_event_replay_to_matching_or_named_subscriptions(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        subscribe(
            tmp_path,
            {"id": "a", "url": receiver.url("a")},
            {"id": "b", "url": receiver.url("b"), "events": ["customer.created"]},
        )
        async with running_hub(hub_settings(tmp_path)) as hub:
            [event_id] = (await hub.send("order.created", order_data(), "m")).json()["event_ids"]
            await receiver.next()
            matching = await hub.post(f"/api/events/{event_id}/replay")
            await receiver.next()
            named = await hub.post(f"/api/events/{event_id}/replay", {"subscription": "b"})
            await receiver.next()
            missing = await hub.post(f"/api/events/{event_id}/replay", {"subscription": "zz"})
            await hub.hub.worker.wait_recorded(3)
    assert [d["subscription_id"] for d in matching.json()["deliveries"]] == ["a"]
    assert [d["subscription_id"] for d in named.json()["deliveries"]] == ["b"]
    assert {d["subject"] for d in matching.json()["deliveries"]} == {"order/1001"}
    assert missing.status_code == 404
    assert [r.path for r in receiver.log] == ["/a", "/a", "/b"]
    assert {r.headers["webhook-id"] for r in receiver.log} == {event_id}


async def test_pending_retries_survive_a_restart(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(Reply(500))
        subscribe(tmp_path, {"id": "erp", "url": receiver.url()})
        settings = hub_settings(tmp_path)
        async with running_hub(settings) as hub:
            clock = hub.clock
            [event_id] = (await hub.send("order.created", order_data(), "m")).json()["event_ids"]
            await receiver.next()
            await hub.hub.worker.wait_recorded(1)
        async with running_hub(settings, clock=clock) as restarted:
            clock.advance(3600)  # type: ignore[attr-defined]
            got = await receiver.next()
            await restarted.hub.worker.wait_recorded(1)
            delivery = await delivery_of(restarted, event_id)
    assert got.headers["webhook-id"] == event_id
    assert delivery["status"] == "succeeded"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 200]


async def test_locked_store_answers_503_with_retry_after_then_recovers(tmp_path: Path) -> None:
    settings = hub_settings(tmp_path, database_url=f"sqlite:///{tmp_path}/hub.db?busy_timeout=100")
    async with running_hub(settings) as hub:
        # Another writer holds the lock; taken off the event loop the hub runs on.
        blocker = sqlite3.connect(tmp_path / "hub.db", isolation_level=None,
                                  check_same_thread=False)  # fmt: skip
        await asyncio.to_thread(blocker.execute, "BEGIN IMMEDIATE")
        try:
            refused = await hub.send("order.created", order_data("L-1"), "msg_locked")
        finally:
            await asyncio.to_thread(blocker.execute, "ROLLBACK")
            blocker.close()
        accepted = await hub.send("order.created", order_data("L-1"), "msg_locked")
        events = (await hub.get("/api/events"))["items"]
    assert refused.status_code == 503
    assert refused.headers["retry-after"].isdigit()
    assert refused.headers["content-type"] == "application/problem+json"
    assert accepted.status_code == 202
    assert [e["id"] for e in events] == accepted.json()["event_ids"]


async def test_full_store_answers_503_and_recovers(tmp_path: Path) -> None:
    async with running_hub(hub_settings(tmp_path)) as hub:
        store = hub.hub.store
        assert isinstance(store, SqliteStore)
        pages = await store.committer.submit(
            lambda conn: conn.execute("PRAGMA page_count").fetchone()[0]
        )
        # SQLite's own limit gives a genuine SQLITE_FULL ("database or disk is full").
        await store.committer.submit(lambda conn: conn.execute(f"PRAGMA max_page_count={pages}"))
        big = order_data("F-1", notes="x" * 200_000)
        refused = await hub.send("order.created", big, "msg_full")
        await store.committer.submit(lambda conn: conn.execute("PRAGMA max_page_count=1073741823"))
        accepted = await hub.send("order.created", big, "msg_full")
        events = (await hub.get("/api/events"))["items"]
    assert refused.status_code == 503, refused.text
    assert "full" in refused.json()["detail"]
    assert refused.headers["retry-after"].isdigit()
    assert accepted.status_code == 202
    assert [e["id"] for e in events] == accepted.json()["event_ids"]
