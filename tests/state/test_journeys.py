"""Business state through a running hub: an order followed across five systems, one status
event per transition, in order and signed; a customer's credit check; manual moves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from hub.config import PROJECT_ROOT
from tests.connectors.fakes import FakeApi
from tests.connectors.kit import b64_hmac, post, sample
from tests.connectors.test_journey import (
    ENV,
    PAYMENT,
    connectors,
    delivered_tracker,
    invoice,
    qbo_payment,
)
from tests.connectors.test_shipstation import SHIPMENTS
from tests.connectors.test_shopify import headers as shopify_headers
from tests.helpers import (
    SUBSCRIBER_SECRET,
    Receiver,
    RunningHub,
    hub_settings,
    running_hub,
    subscriptions_yaml,
    verify_outbound,
)

RULES = str(PROJECT_ROOT / "rules.yaml")


def stateful(tmp_path: Path, connector_entries: dict[str, Any], receiver: Receiver,
             events: list[str]) -> Any:  # fmt: skip
    (tmp_path / "connectors.yaml").write_text(yaml.safe_dump({"connectors": connector_entries}))
    (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([
        {"id": "state", "url": receiver.url(), "events": events, "secret": SUBSCRIBER_SECRET,
         "ordered": True}]))  # fmt: skip
    return running_hub(hub_settings(tmp_path, rules=RULES), dict(ENV))


async def order_of(hub: RunningHub, key: str) -> dict[str, Any]:
    response = await hub.client.get(f"/api/objects/order/{key}", headers=hub.admin)
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


async def test_an_order_across_five_systems(tmp_path: Path) -> None:
    order = sample("shopify_orders_create.json")
    async with (
        FakeApi({"/shipments": SHIPMENTS, "/v3/company/9130/payment/77": PAYMENT}) as api,
        Receiver() as receiver,
        stateful(tmp_path, connectors(api.url), receiver, ["order.status_changed"]) as hub,
    ):
        ship = json.dumps({"resource_url": f"{api.url}/shipments?batchId=9",
                           "resource_type": "SHIP_NOTIFY"}).encode()  # fmt: skip
        tracker = delivered_tracker()
        import hashlib
        import hmac

        mac = hmac.new(b"easypost-secret", tracker, hashlib.sha256).hexdigest()
        payment = qbo_payment()
        steps = [
            ("shopify", order, shopify_headers("orders/create", order), "",
             [("received", "received", "new"), ("company_assigned", "validated",
                                                "company_assigned")]),
            ("shipstation", ship, {}, "?secret=ss-secret",
             [("shipped", "fulfillment_in_process", "packed")]),
            ("easypost", tracker, {"x-hmac-signature": f"hmac-sha256-hex={mac}"}, "",
             [("delivered", "fulfillment_in_process", "delivered")]),
            ("d365", invoice(), {}, "?code=d365-key", [("invoiced", "completed", "fulfilled")]),
            ("qbo", payment, {"intuit-signature": b64_hmac("qbo-token", payment)}, "",
             [("completed", "completed", "paid")]),
        ]  # fmt: skip
        for connector, body, sent, query, expected in steps:
            response = await post(hub, connector, body, sent, query)
            assert response.status_code == 202, (connector, response.text)
            await hub.hub.tracker.caught_up()
            for status, state, reason in expected:
                got = verify_outbound(await receiver.next())
                assert got["type"] == "order.status_changed"
                data = got["data"]
                assert (data["to_status"], data["state"], data["reason"]) == (status, state, reason)
                assert got["subject"] == "order/820982911946154508"
            shown = await order_of(hub, "820982911946154508")
            assert shown["status"] == expected[-1][0], connector
        # Found by any alias: the order number, the tracking number, the ERP's invoice.
        for alias in ("%239999", "1Z827WK74630", "CIV-000123"):
            assert (await order_of(hub, alias))["key"] == "820982911946154508"
        shown = await order_of(hub, "820982911946154508")
        assert [e["connector"] for e in shown["timeline"]] == [
            "shopify", "shipstation", "easypost", "easypost", "d365", "qbo"]  # fmt: skip
        assert [e["outcome"] for e in reversed(shown["logbook"])] == [
            "begun", "moved", "moved", "moved", "moved", "moved"]  # fmt: skip
        assert shown["company"] == "USMF" and shown["facts"]["tracking_number"] == "1Z827WK74630"
        assert shown["timeline"][0]["deliveries"] == []  # only status events are subscribed
        # A repeat changes nothing: the sender's own retry is a duplicate at ingest.
        again = await post(hub, "shopify", order, shopify_headers("orders/create", order))
        assert again.status_code == 200
        await hub.hub.tracker.caught_up()
        changes = await hub.get("/api/events", type="order.status_changed", limit=50)
        assert len(changes["items"]) == 6  # one per transition, none for the repeat


def order_body(order_id: str, price: str = "12.50", **extra: Any) -> dict[str, Any]:
    return {"order_id": order_id, "company": "USMF", "currency": "EUR",
            "lines": [{"sku": "GEAR-7", "quantity": 1, "unit_price": price}],
            "references": {"shopify": {"order_id": order_id}}, **extra}  # fmt: skip


async def plain_hub(tmp_path: Path, receiver: Receiver, clock: Any = None) -> Any:
    (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([
        {"id": "state", "url": receiver.url(), "secret": SUBSCRIBER_SECRET,
         "events": ["order.status_changed", "customer.status_changed", "order.overdue",
                    "customer.overdue"]}]))  # fmt: skip
    return running_hub(hub_settings(tmp_path, rules=RULES), clock=clock)


async def test_manual_transitions_answer_by_outcome(tmp_path: Path) -> None:
    async with Receiver() as receiver, await plain_hub(tmp_path, receiver) as hub:
        await hub.send("order.created", order_body("M-1"), "m1")
        await hub.send("order.created", order_body("M-2", price="0"), "m2")  # held: no price
        await hub.hub.tracker.caught_up()
        moved = await hub.post("/api/objects/order/M-1/transitions",
                               {"to": "sent_to_fulfillment", "message": "to the 3PL"})  # fmt: skip
        assert moved.status_code == 200, moved.text
        assert (moved.json()["status"], moved.json()["outcome"]) == ("sent_to_fulfillment",
                                                                     "moved")  # fmt: skip
        hidden = await hub.post("/api/objects/order/M-1/transitions", {"to": "on_hold"})
        assert hidden.status_code == 422
        held = await hub.post("/api/objects/order/M-2/transitions", {"to": "company_assigned"})
        assert held.status_code == 409 and "zero price" in held.json()["detail"]
        assert held.json()["object"]["status"] == "on_hold"
        for name, scopes in (("zap", []), ("order-desk", ["order-desk"])):
            partner = {"name": name, "types": ["order.*"], "companies": ["USMF"]}
            if scopes:
                partner["force_scopes"] = scopes
            assert (await hub.post("/api/partners", partner)).status_code == 201
        token = (await hub.post("/api/tokens", {"name": "zap", "partner": "zap"})).json()["token"]
        scoped = {"authorization": f"Bearer {token}"}
        refused = await hub.client.post("/api/objects/order/M-2/transitions", headers=scoped,
                                        json={"to": "company_assigned", "force": True})  # fmt: skip
        assert refused.status_code == 403
        desk = (await hub.post("/api/tokens", {"name": "desk-flow", "partner": "order-desk"})
                ).json()["token"]  # fmt: skip
        forced = await hub.client.post(
            "/api/objects/order/M-2/transitions", headers={"authorization": f"Bearer {desk}"},
            json={"to": "company_assigned", "force": True},
        )  # fmt: skip
        assert forced.status_code == 200 and forced.json()["outcome"] == "forced"
        shown = await order_of(hub, "M-2")
        assert shown["logbook"][0]["created_by"] == "order-desk"
        assert shown["logbook"][0]["message"].startswith("forced:")
        listed = await hub.get("/api/objects", type="order", status="company_assigned")
        assert [o["key"] for o in listed["items"]] == ["M-2"]
        bad = await hub.client.get("/api/objects", params={"type": "invoice"}, headers=hub.admin)
        assert bad.status_code == 404


async def test_a_deadline_is_raised_once_across_a_restart(tmp_path: Path) -> None:
    from hub.clock import ManualClock

    clock = ManualClock(start=1_900_000_000.0)
    customer = {"customer_id": "C-1", "references": {"shopify": {"customer_id": "C-1"}}}
    async with Receiver() as receiver:
        async with await plain_hub(tmp_path, receiver, clock) as hub:
            await hub.send("customer.created", customer, "c1", timestamp=clock.now())
            await hub.hub.tracker.caught_up()
            statuses = [verify_outbound(await receiver.next())["data"]["to_status"]
                        for _ in range(2)]  # fmt: skip
            assert statuses == ["new", "credit_check"]
            shown = (await hub.get("/api/objects/customer/C-1"))["deadlines"]
            assert [d["emit"] for d in shown] == ["customer.overdue"]
        clock.advance(3 * 86_400 + 1)  # the hub is down when the deadline passes
        async with await plain_hub(tmp_path, receiver, clock) as hub:
            late = verify_outbound(await receiver.next())
            assert late["type"] == "customer.overdue"
            assert (late["data"]["status"], late["subject"]) == ("credit_check", "customer/C-1")
            # Raised, and still overdue: it has not left the status.
            overdue = await hub.get("/api/objects", type="customer", overdue="true")
            assert [o["key"] for o in overdue["items"]] == ["C-1"]
        async with await plain_hub(tmp_path, receiver, clock) as hub:
            clock.advance(60)
            await hub.send("customer.updated", customer, "c2", timestamp=clock.now())
            await hub.hub.tracker.caught_up()
            raised = await hub.get("/api/events", type="customer.overdue")
            assert len(raised["items"]) == 1  # raised once, never again
            overdue = await hub.get("/api/objects", type="customer", overdue="true")
            assert [o["key"] for o in overdue["items"]] == ["C-1"]
            moved = await hub.post("/api/objects/customer/C-1/transitions", {"to": "active"})
            assert moved.status_code == 200, moved.text
            assert (await hub.get("/api/objects", overdue="true"))["items"] == []  # it left


async def test_two_objects_that_prove_one_are_merged(tmp_path: Path) -> None:
    async with Receiver() as receiver, await plain_hub(tmp_path, receiver) as hub:
        await hub.send("order.created", order_body("S-1"), "s1")
        erp = {"order_id": "SO-9", "references": {"d365": {"sales_order_id": "SO-9"}}}
        await hub.send("order.confirmed", erp, "s2")
        await hub.hub.tracker.caught_up()
        assert len((await hub.get("/api/objects", type="order"))["items"]) == 2
        both = {"order_id": "SO-9", "invoice_id": "INV-9",
                "references": {"d365": {"sales_order_id": "SO-9"},
                                                   "shopify": {"order_id": "S-1"}}}  # fmt: skip
        assert (await hub.send("order.invoiced", both, "s3")).status_code == 202
        await hub.hub.tracker.caught_up()
        [merged] = (await hub.get("/api/objects", type="order"))["items"]
        assert merged["key"] == "S-1" and merged["status"] == "invoiced"
        assert {"shopify.order_id:S-1", "d365.sales_order_id:SO-9"} <= set(merged["aliases"])
        assert (await order_of(hub, "SO-9"))["id"] == merged["id"]
