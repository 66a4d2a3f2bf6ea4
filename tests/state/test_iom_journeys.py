"""The order journeys of Intelligent Order Management, played through a running hub with the
vendors' own samples and connectors: BigCommerce (thin orders completed from its API), Dynamics
365 F&O (its invoice business event; its dual-write orders, picks and shipments through the
``standard`` connector), Flexe through ``standard`` and SAP through ``cloudevents``.

At every step the order has the status, state and reason of the journey, and the subscriber
standing for "the provider action updates the order status in BigCommerce" receives exactly one
signed ``order.status_changed`` per transition, in order.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.connectors.fakes import FakeApi
from tests.connectors.kit import post, sample
from tests.connectors.test_bigcommerce import signed
from tests.helpers import (
    SUBSCRIBER_SECRET,
    Receiver,
    RunningHub,
    hub_settings,
    running_hub,
    subscriptions_yaml,
    verify_outbound,
)
from tests.state.test_journeys import RULES

ENV = {"BC_SECRET": "bc-app-client-secret", "D365_KEY": "d365-key", "SAP_TOKEN": "sap-token"}
BC_ORDER = "250"
SALES_ORDER = "000812"  # the sales order of the D365 invoice sample
LINES = [{"sku": "GEAR-7", "quantity": 2, "unit_price": "22.49"}]
Step = Callable[[RunningHub], Awaitable[Any]]


def connectors(api_url: str, company_policy: bool) -> dict[str, Any]:
    bigcommerce: dict[str, Any] = {"secrets": ["env:BC_SECRET"], "fetch": {"base_url": api_url}}
    if company_policy:  # IOM assigns the company (and site) from the storefront
        bigcommerce["company_policy"] = {
            "rules": [{"when": {"store": "abc123"}, "assign": {"company": "USMF"}}]
        }
    return {
        "bigcommerce": bigcommerce,
        # F&O's sales order carries the web order in CustomerRef (a contract extension).
        "d365": {"secrets": ["env:D365_KEY"],
                 "options": {"reference_fields": {"CustomerRef": "bigcommerce.order_id"}}},
        "cloudevents": {"secrets": ["env:SAP_TOKEN"], "options": {"type_prefix": "sap.s4."}},
    }  # fmt: skip


def bc_order() -> dict[str, Any]:
    return {"id": int(BC_ORDER), "currency_code": "USD", "total_inc_tax": "52.9300",
            "subtotal_ex_tax": "44.98", "status": "Awaiting Fulfillment",
            "date_created": "Tue, 25 Jun 2019 16:15:35 +0000", "customer_id": 11}  # fmt: skip


async def bigcommerce_created(hub: RunningHub) -> Any:
    body = json.dumps({"scope": "store/order/created", "store_id": "1025646",
                       "producer": "stores/abc123", "data": {"type": "order", "id": 250},
                       "hash": "f1", "created_at": 1561479335}).encode()  # fmt: skip
    return await post(hub, "bigcommerce", body, signed(body, "bc-1", hub.clock.now()))


def from_bigcommerce() -> dict[str, Any]:
    return {"d365": {"sales_order_id": SALES_ORDER}, "bigcommerce": {"order_id": BC_ORDER}}


def erp(event_type: str, refs: Callable[[], dict[str, Any]], **data: Any) -> Step:
    """F&O (dual-write, or its warehouse) telling of the sales order."""

    async def step(hub: RunningHub) -> Any:
        body = {"order_id": SALES_ORDER, "company": "USMF", "references": refs(), **data}
        return await hub.send(event_type, body, f"fo-{event_type}")

    return step


def fo_only() -> dict[str, Any]:
    return {"d365": {"sales_order_id": SALES_ORDER}}


def flexe(refs: Callable[[], dict[str, Any]]) -> Step:
    async def step(hub: RunningHub) -> Any:
        body = {"order_id": "FLX-77", "carrier": "UPS", "tracking_number": "1Z-FLEXE-1",
                "references": {"flexe": {"order_id": "FLX-77"}} | refs()}  # fmt: skip
        return await hub.send("order.shipped", body, "flexe-shipped")

    return step


async def fo_invoiced(hub: RunningHub) -> Any:
    doc = json.loads(sample("d365_sales_order_invoiced.json"))
    doc["CustomerRef"] = BC_ORDER
    return await post(hub, "d365", json.dumps(doc).encode(), {}, "?code=d365-key")


async def sap_invoiced(hub: RunningHub) -> Any:
    event = {"specversion": "1.0", "id": "90000123", "source": "/sap/s4/billing",
             "type": "sap.s4.order.invoiced", "time": "2026-11-26T10:00:00Z",
             "data": {"invoice_id": "90000123", "order_id": SALES_ORDER, "total": "44.98",
                      "currency": "USD", "company": "USMF",
                      "references": {"sap": {"invoice_id": "90000123"},
                                     "d365": {"sales_order_id": SALES_ORDER}}}}  # fmt: skip
    headers = {"authorization": "Bearer sap-token",
               "content-type": "application/cloudevents+json"}  # fmt: skip
    return await hub.client.post("/webhooks/cloudevents", content=json.dumps(event),
                                 headers=headers)  # fmt: skip


def manual(target: str) -> Step:
    """A provider action of IOM, taken by hand (or by a flow) through the API."""

    async def step(hub: RunningHub) -> Any:
        return await hub.post(f"/api/objects/order/{SALES_ORDER}/transitions", {"to": target})

    step.manual = True  # type: ignore[attr-defined]
    return step


def by_bigcommerce(target: str) -> Step:
    async def step(hub: RunningHub) -> Any:
        return await hub.post(f"/api/objects/order/{BC_ORDER}/transitions", {"to": target})

    step.manual = True  # type: ignore[attr-defined]
    return step


COMPANY = ("company_assigned", "validated", "company_assigned")
RECEIVED = ("received", "received", "new")
SENT = ("sent_to_fulfillment", "fulfillment_in_process", "sent_to_fulfillment")
PICKED = ("picked", "fulfillment_in_process", "picked")
PACKED = ("shipped", "fulfillment_in_process", "packed")
FULFILLED = ("invoiced", "completed", "fulfilled")
CREATED_IN_FO = erp("order.created", fo_only, lines=LINES, currency="USD")

JOURNEYS: dict[str, tuple[bool, list[tuple[str, Step, tuple[str, str, str]]]]] = {
    "BigCommerce > IOM > F&O fulfilment > F&O accounting": (True, [
        ("created in BigCommerce; company and site assigned", bigcommerce_created, COMPANY),
        ("send order to fulfillment", by_bigcommerce("sent_to_fulfillment"), SENT),
        ("picked in F&O", erp("order.picked", from_bigcommerce), PICKED),
        ("packed and delivered in F&O", erp("order.shipped", from_bigcommerce), PACKED),
        ("invoiced in F&O", fo_invoiced, FULFILLED),
    ]),
    "BigCommerce > IOM > Flexe > F&O accounting": (False, [
        ("created in BigCommerce, no company yet", bigcommerce_created, RECEIVED),
        ("Flexe ships", flexe(lambda: {"bigcommerce": {"order_id": BC_ORDER}}), PACKED),
        ("invoiced in F&O", fo_invoiced, FULFILLED),
    ]),
    "F&O > IOM > Flexe > F&O accounting": (True, [
        ("created in F&O, by dual-write", CREATED_IN_FO, COMPANY),
        ("confirmed in F&O", erp("order.confirmed", fo_only), COMPANY),
        ("sent to Flexe", manual("sent_to_fulfillment"), SENT),
        ("Flexe ships", flexe(fo_only), PACKED),
        ("invoiced in F&O", fo_invoiced, FULFILLED),
    ]),
    "F&O > IOM > F&O fulfilment > F&O accounting": (True, [
        ("created in F&O, by dual-write", CREATED_IN_FO, COMPANY),
        ("confirmed in F&O", erp("order.confirmed", fo_only), COMPANY),
        ("shipped in F&O", erp("order.shipped", fo_only), PACKED),
        ("invoiced in F&O", fo_invoiced, FULFILLED),
    ]),
    "F&O > IOM > Flexe > SAP accounting": (True, [
        ("created in F&O, by dual-write", CREATED_IN_FO, COMPANY),
        ("confirmed in F&O", erp("order.confirmed", fo_only), COMPANY),
        ("sent to Flexe", manual("sent_to_fulfillment"), SENT),
        ("Flexe ships", flexe(fo_only), PACKED),
        ("invoiced in SAP", sap_invoiced, FULFILLED),
    ]),
    "BigCommerce > IOM with DOM > F&O fulfilment > F&O accounting": (True, [
        ("created in BigCommerce; company and site assigned", bigcommerce_created, COMPANY),
        ("send to fulfillment optimization", by_bigcommerce("sent_to_fulfillment"), SENT),
        ("picked in F&O", erp("order.picked", from_bigcommerce, warehouse="24"), PICKED),
        ("packed and delivered in F&O", erp("order.shipped", from_bigcommerce), PACKED),
        ("invoiced in F&O", fo_invoiced, FULFILLED),
    ]),
}  # fmt: skip


@pytest.mark.parametrize("journey", list(JOURNEYS))
async def test_an_iom_journey(tmp_path: Path, journey: str) -> None:
    company_policy, steps = JOURNEYS[journey]
    async with FakeApi({"/stores/abc123/v2/orders/250": bc_order()}) as api, Receiver() as store:
        (tmp_path / "connectors.yaml").write_text(
            yaml.safe_dump({"connectors": connectors(api.url, company_policy)})
        )
        (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([
            {"id": "bigcommerce-status", "url": store.url(), "secret": SUBSCRIBER_SECRET,
             "events": ["order.status_changed"], "ordered": True}]))  # fmt: skip
        async with running_hub(hub_settings(tmp_path, rules=RULES), dict(ENV)) as hub:
            status: str | None = None
            for what, step, expected in steps:
                answer = await step(hub)
                assert answer.status_code in (200, 202), (what, answer.text)
                await hub.hub.tracker.caught_up()
                shown = await _the_order(hub)
                assert (shown["status"], shown["state"], shown["reason"]) == expected, what
                for target in _moves(status, expected[0]):
                    changed = verify_outbound(await store.next())["data"]  # signed, or raises
                    assert (changed["from_status"], changed["to_status"]) == (status, target)
                    status = target
            await asyncio.sleep(0.2)
            assert store.received.empty(), "one status event per transition, no more"
            assert shown["company"] == "USMF"  # from the storefront's policy, or the ERP
            assert len(shown["timeline"]) == len(steps) - sum(
                1 for _, step, _ in steps if getattr(step, "manual", False)
            )


async def _the_order(hub: RunningHub) -> dict[str, Any]:
    [order] = (await hub.get("/api/objects", type="order"))["items"]  # one, never two
    doc: dict[str, Any] = await hub.get(f"/api/objects/order/{order['key']}")
    return doc


def _moves(status: str | None, target: str) -> list[str]:
    """The status events a step owes: the first status too, for a new order."""
    owed = ["received"] if status is None else []
    return owed + ([target] if target != (status or "received") else [])
