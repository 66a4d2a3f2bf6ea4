"""Bulk transitions through a running hub: bundles, a dry run that changes nothing, and a
functional result (moved, fallen back, refused, with reasons) rather than an error."""

from __future__ import annotations

import json
from pathlib import Path

from hub.config import PROJECT_ROOT
from tests.helpers import hub_settings, running_hub, subscriptions_yaml
from tests.state.test_journeys import order_body


def small_bundles(tmp_path: Path) -> Path:
    rules = (PROJECT_ROOT / "rules.yaml").read_text().replace("bundle_size: 100", "bundle_size: 2")
    path = tmp_path / "rules.yaml"
    path.write_text(rules)
    return path


async def test_a_bulk_transition_in_bundles_with_a_dry_run(tmp_path: Path) -> None:
    (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([]))
    settings = hub_settings(tmp_path, rules=str(small_bundles(tmp_path)))
    async with running_hub(settings) as hub:
        for n in range(5):
            await hub.send("order.created", order_body(f"B-{n}"), f"b{n}")
        await hub.send("order.created", order_body("B-5", currency="USD"), "b5")
        await hub.send("order.created", order_body("Z-1", price="0"), "z1")  # on hold
        await hub.hub.tracker.caught_up()

        ask = {"from": "company_assigned", "to": "sent_to_fulfillment",
               "filter": {"currency": "EUR"}, "message": "wave 12"}  # fmt: skip
        dry = await hub.post("/api/objects/order/transitions", ask | {"dry_run": True})
        assert dry.status_code == 200, dry.text
        counted = dry.json()
        assert (counted["dry_run"], counted["matched"], counted["applied"]) == (True, 5, 5)
        still = await hub.get("/api/objects", type="order", status="company_assigned")
        assert len(still["items"]) == 6  # a dry run changes nothing

        done = (await hub.post("/api/objects/order/transitions", ask)).json()
        assert (done["matched"], done["applied"], done["refused"]) == (5, 5, 0)
        assert done["bundles"] == 3  # six listed two at a time; the USD one filtered out
        moved = await hub.get("/api/objects", type="order", status="sent_to_fulfillment")
        assert sorted(o["key"] for o in moved["items"]) == [f"B-{n}" for n in range(5)]
        changes = await hub.get("/api/events", type="order.status_changed", limit=100)
        sent = [json.loads(e["data"]) if isinstance(e["data"], str) else e["data"]
                for e in changes["items"]]  # fmt: skip
        keys = sorted(d["reference_key"] for d in sent
                      if d["to_status"] == "sent_to_fulfillment")  # fmt: skip
        assert keys == [f"B-{n}" for n in range(5)]  # one status event per object moved
        shown = (await hub.get("/api/objects/order/B-0"))["logbook"][0]
        assert (shown["trigger"], shown["message"], shown["created_by"]) == (
            "manual",
            "wave 12",
            "admin",
        )

        # Without "from": every order is tried. The held one falls back to its hold, the
        # moved ones are not allowed to go there again: a result, not an error.
        again = await hub.post("/api/objects/order/transitions",
                               {"to": "company_assigned"})  # fmt: skip
        assert again.status_code == 200
        result = again.json()
        assert (result["matched"], result["applied"]) == (7, 0)
        assert (result["fallen_back"], result["refused"]) == (1, 6)
        [held] = [r for r in result["reasons"] if r["outcome"] == "fallback"]
        assert held["keys"] == ["Z-1"] and "zero price" in held["message"]
        refused = {r["message"]: r["count"] for r in result["reasons"]
                   if r["outcome"] == "not_allowed"}  # fmt: skip
        assert refused == {
            "no manual transition from sent_to_fulfillment to company_assigned": 5,
            "no manual transition from company_assigned to company_assigned": 1,
        }

        forced = (await hub.post("/api/objects/order/transitions",
                                 {"from": "on_hold", "to": "company_assigned",
                                  "force": True})).json()  # fmt: skip
        assert (forced["applied"], forced["reasons"][0]["outcome"]) == (1, "forced")


async def test_a_bulk_transition_refuses_bad_requests(tmp_path: Path) -> None:
    rules = str(PROJECT_ROOT / "rules.yaml")
    (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([]))
    async with running_hub(hub_settings(tmp_path, rules=rules)) as hub:
        url = "/api/objects/order/transitions"
        for body, status in (
            ({}, 400),
            ({"to": "nowhere"}, 422),
            ({"to": "paid", "from": "limbo"}, 422),
            ({"to": "paid", "filter": {"total": {"$near": 1}}}, 422),
            ({"to": "paid", "colour": "red"}, 400),
        ):
            answer = await hub.post(url, body)
            assert answer.status_code == status, (body, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
        missing = await hub.post("/api/objects/invoice/transitions", {"to": "paid"})
        assert missing.status_code == 404
        token = (await hub.post("/api/tokens", {"name": "zap"})).json()["token"]
        scoped = await hub.client.post(url, json={"to": "paid"},
                                       headers={"authorization": f"Bearer {token}"})  # fmt: skip
        assert scoped.status_code == 403  # bulk moves are the admin's
