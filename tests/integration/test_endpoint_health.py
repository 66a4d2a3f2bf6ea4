"""Endpoint health with an injected clock: auto-disable, and the hub's operational events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.clock import ManualClock
from tests.helpers import (
    SUBSCRIBER_SECRET,
    Receiver,
    Reply,
    hub_settings,
    order_data,
    running_hub,
    subscriptions_yaml,
    verify_outbound,
)


def subscriptions(tmp_path: Path, failing: Receiver, ops: Receiver, schedule: list[float]) -> None:
    entries: list[dict[str, Any]] = [
        {"id": "erp", "url": failing.url(), "events": ["order.*"], "secret": SUBSCRIBER_SECRET,
         "retry": {"schedule": schedule, "jitter": 0}},
        {"id": "ops", "url": ops.url(), "events": ["hub.delivery.*", "hub.subscription.*"],
         "secret": SUBSCRIBER_SECRET},
    ]  # fmt: skip
    (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml(entries))


async def test_an_endpoint_failing_for_too_long_is_disabled(tmp_path: Path) -> None:
    clock = ManualClock(start=1_900_000_000.0)
    async with Receiver() as failing, Receiver() as ops:
        failing.respond(*[Reply(500, b"down")] * 10)
        subscriptions(tmp_path, failing, ops, [0, 1800, 1800, 1800, 1800])
        settings = hub_settings(tmp_path, disable_after=3600.0)
        async with running_hub(settings, clock=clock) as hub:
            await hub.send("order.created", order_data("H-1"), "msg_h1", timestamp=clock.now())
            for attempt in range(1, 4):
                await failing.next()
                await hub.hub.worker.wait_recorded(attempt)
                if attempt < 3:
                    clock.advance(1800)
            notice = verify_outbound(await ops.next())
            assert notice["type"] == "hub.subscription.disabled"
            assert notice["data"]["subscription_id"] == "erp"
            assert "every attempt failed since" in notice["data"]["reason"]
            shown = await hub.get("/api/subscriptions/erp")
            assert shown["state"] == "disabled"
            assert shown["health"]["consecutive_failures"] == 3
            assert shown["health"]["last_success_at"] is None
            assert shown["health"]["pending"] == 0
            [delivery] = (await hub.get("/api/deliveries", subscription="erp"))["items"]
            assert delivery["status"] == "failed"
        # The health is in the store: a restart remembers it.
        async with running_hub(settings, clock=clock) as hub:
            shown = await hub.get("/api/subscriptions/erp")
            assert (shown["state"], shown["health"]["consecutive_failures"]) == ("disabled", 3)


async def test_an_exhausted_delivery_is_announced_once(tmp_path: Path) -> None:
    clock = ManualClock(start=1_900_000_000.0)
    async with Receiver() as failing, Receiver() as ops:
        failing.respond(Reply(503, b"busy"), Reply(503, b"busy"))
        subscriptions(tmp_path, failing, ops, [0, 10])
        async with running_hub(hub_settings(tmp_path), clock=clock) as hub:
            await hub.send("order.created", order_data("X-1"), "msg_x1", timestamp=clock.now())
            await failing.next()
            await hub.hub.worker.wait_recorded(1)
            clock.advance(10)
            await failing.next()
            notice = verify_outbound(await ops.next())
            assert notice["type"] == "hub.delivery.exhausted"
            assert notice["source"] == "/hub"
            assert (notice["data"]["attempts"], notice["data"]["last_status_code"]) == (2, 503)
            assert notice["data"]["subscription_id"] == "erp"
            shown = await hub.get("/api/subscriptions/erp")
            assert shown["state"] == "active"  # failed twice, not yet for a whole period


async def test_a_target_that_does_not_consent_is_announced(tmp_path: Path) -> None:
    async with Receiver() as failing, Receiver() as ops, Receiver() as refusing:
        subscriptions(tmp_path, failing, ops, [0])
        async with running_hub(hub_settings(tmp_path)) as hub:
            created = await hub.post(
                "/api/subscriptions", {"url": refusing.url(), "event": "order.*"}
            )
            assert created.json()["state"] == "pending_validation"
            notice = verify_outbound(await ops.next())
            assert notice["type"] == "hub.subscription.validation_failed"
            assert notice["data"]["subscription_id"] == created.json()["id"]
