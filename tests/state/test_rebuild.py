"""Rebuild through a running hub: the log replayed through the same rules equals the live
state (manual moves included); a changed rule, rebuilt, moves the objects it concerns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hub.config import PROJECT_ROOT
from tests.helpers import (
    SUBSCRIBER_SECRET,
    Receiver,
    RunningHub,
    hub_settings,
    running_hub,
    subscriptions_yaml,
    verify_outbound,
)
from tests.state.test_journeys import order_body

PRICE_CHECK = '"object.lines": {"$all": {"unit_price": {"$gt": 0}}}'


def rules_file(tmp_path: Path, price_check: bool = True) -> Path:
    text = (PROJECT_ROOT / "rules.yaml").read_text()
    assert PRICE_CHECK in text
    if not price_check:  # the rule an admin got wrong: zero-priced samples are fine after all
        text = text.replace(", " + PRICE_CHECK, "")
    path = tmp_path / f"rules-{price_check}.yaml"
    path.write_text(text)
    return path


async def rebuild(hub: RunningHub, **body: Any) -> dict[str, Any]:
    answer = await hub.post("/api/state/rebuild", body)
    assert answer.status_code == 200, answer.text
    doc: dict[str, Any] = answer.json()
    return doc


async def snapshot(hub: RunningHub) -> dict[str, Any]:
    found = {}
    for obj in (await hub.get("/api/objects", limit=500))["items"]:
        shown = await hub.get(f"/api/objects/{obj['type']}/{obj['key']}")
        found[obj["key"]] = (shown["id"], shown["status"], shown["state"], shown["reason"],
                             sorted(shown["aliases"]), [e["id"] for e in shown["timeline"]],
                             shown["facts"])  # fmt: skip
    return found


async def test_a_rebuild_equals_the_live_state_and_fixes_a_wrong_rule(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([
            {"id": "state", "url": receiver.url(), "secret": SUBSCRIBER_SECRET,
             "events": ["order.status_changed"]}]))  # fmt: skip
        strict = hub_settings(tmp_path, rules=str(rules_file(tmp_path)))
        async with running_hub(strict) as hub:
            await hub.send("order.created", order_body("R-1"), "r1")
            await hub.send("order.created", order_body("R-2", price="0"), "r2")  # held
            await hub.send("order.created", order_body("R-3", price="0"), "r3")  # held
            await hub.send("order.paid", order_body("R-1"), "r4")
            erp = {"order_id": "SO-1", "references": {"d365": {"sales_order_id": "SO-1"},
                                                      "shopify": {"order_id": "R-1"}}}  # fmt: skip
            await hub.send("order.shipped", erp, "r5")
            await hub.hub.tracker.caught_up()
            forced = await hub.post("/api/objects/order/R-3/transitions",
                                    {"to": "company_assigned", "force": True})  # fmt: skip
            assert forced.json()["outcome"] == "forced"
            await hub.post("/api/objects/order/R-3/transitions", {"to": "sent_to_fulfillment"})
            await hub.send("customer.created", {"customer_id": "C-7"}, "c7")
            await hub.hub.tracker.caught_up()
            live = await snapshot(hub)
            assert {k: v[1] for k, v in live.items()} == {
                "R-1": "shipped", "R-2": "on_hold", "R-3": "sent_to_fulfillment",
                "C-7": "credit_check"}  # fmt: skip

            same = await rebuild(hub, dry_run=True)
            assert (same["events_replayed"], same["objects"], same["differing"]) == (6, 4, 0)
            applied = await rebuild(hub)  # applying an equal rebuild changes nothing
            assert applied["differing"] == 0 and await snapshot(hub) == live
            logbook = (await hub.get("/api/objects/order/R-3"))["logbook"]
            assert [e["outcome"] for e in logbook][:2] == ["moved", "forced"]  # kept

        for _ in range(10):  # the status events so far
            verify_outbound(await receiver.next())
        lenient = hub_settings(tmp_path, rules=str(rules_file(tmp_path, price_check=False)))
        async with running_hub(lenient) as hub:
            wrong = await rebuild(hub, dry_run=True, type="order")
            assert wrong["differences"] == [{
                "type": "order", "key": "R-2", "change": "changed", "live_status": "on_hold",
                "rebuilt_status": "company_assigned"}]  # fmt: skip
            assert (await hub.get("/api/objects/order/R-2"))["status"] == "on_hold"
            fixed = await rebuild(hub, type="order", emit=True)
            assert fixed["differing"] == 1
            shown = await hub.get("/api/objects/order/R-2")
            assert (shown["status"], shown["id"]) == ("company_assigned", live["R-2"][0])
            raised = verify_outbound(await receiver.next())["data"]
            assert (raised["trigger"], raised["from_status"], raised["to_status"]) == (
                "rebuild", "on_hold", "company_assigned")  # fmt: skip
            assert (await hub.get("/api/objects/order/R-3"))["status"] == "sent_to_fulfillment"
            again = await rebuild(hub, dry_run=True)
            assert again["differing"] == 0  # the rebuild is now the live state


async def test_a_rebuild_without_emit_raises_nothing(tmp_path: Path) -> None:
    (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([]))
    async with running_hub(hub_settings(tmp_path, rules=str(rules_file(tmp_path)))) as hub:
        await hub.send("order.created", order_body("Q-1", price="0"), "q1")
        await hub.hub.tracker.caught_up()
    lenient = hub_settings(tmp_path, rules=str(rules_file(tmp_path, price_check=False)))
    async with running_hub(lenient) as hub:
        before = await hub.get("/api/events", type="order.status_changed", limit=50)
        assert (await rebuild(hub))["differing"] == 1
        after = await hub.get("/api/events", type="order.status_changed", limit=50)
        assert len(after["items"]) == len(before["items"])
        assert (await hub.get("/api/objects/order/Q-1"))["status"] == "company_assigned"
        bad = await hub.post("/api/state/rebuild", {"type": "invoice"})
        assert bad.status_code == 404
        bad = await hub.post("/api/state/rebuild", {"dry": True})
        assert bad.status_code == 400
    json.dumps(before)  # the answers are plain JSON
