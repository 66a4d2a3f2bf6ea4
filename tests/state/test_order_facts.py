"""Order facts sent through the `standard` connector land on their order, whichever of the
order's identifiers they carry, and an older event's facts are kept without moving a status.

Found by a sender: ``order.invoiced`` (keyed by ``invoice_id``) for ``SO-1`` made a second
order keyed by the invoice, and left ``SO-1`` where it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.config import PROJECT_ROOT
from tests.helpers import RunningHub, hub_settings, running_hub

RULES = str(PROJECT_ROOT / "rules.yaml")
LINES = [{"sku": "GEAR-7", "quantity": 1, "unit_price": "12.50"}]
CREATED = {"order_id": "SO-1", "order_number": "#1001", "company": "USMF", "currency": "EUR",
           "total": "12.50", "lines": LINES}  # fmt: skip
SHIPPED = {"order_id": "SO-1", "carrier": "UPS", "tracking_number": "1Z999"}
PAID = {"order_number": "#1001", "payment_id": "PAY-1", "amount": "12.50"}  # no order_id
INVOICED = {"invoice_id": "INV-1", "order_id": "SO-1", "total": "12.50", "currency": "EUR"}

# (what came before, the fact, its data, the status the order ends in)
CASES = [
    ([], "order.invoiced", INVOICED, "invoiced"),
    ([], "order.paid", PAID, "paid"),  # by its order number alone
    ([], "order.packed", {"order_id": "SO-1", "shipment_id": "SH-1"}, "shipped"),
    ([], "order.shipped", SHIPPED, "shipped"),
    ([("order.shipped", SHIPPED)], "order.delivered", {"tracking_number": "1Z999"}, "delivered"),
    (
        [("order.paid", PAID)],
        "order.refunded",
        {"order_id": "SO-1", "amount": "12.50"},
        "refunded",
    ),
    ([], "order.cancelled", {"order_id": "SO-1", "reason": "customer"}, "cancelled"),
    (
        [("order.invoiced", INVOICED)],
        "order.paid",
        {"invoice_id": "INV-1", "amount": "12.50"},
        "completed",
    ),  # by its invoice alone
    (
        [],
        "order.invoiced",
        {
            "invoice_id": "INV-2",
            "order_id": "SO-1",
            "references": {"erp": {"sales_order_id": "SO-1"}},
        },
        "invoiced",
    ),
]


async def orders(hub: RunningHub) -> list[dict[str, Any]]:
    await hub.hub.tracker.caught_up()
    listed: list[dict[str, Any]] = (await hub.get("/api/objects", type="order"))["items"]
    return listed


def stateful(tmp_path: Path) -> Any:
    (tmp_path / "subscriptions.yaml").write_text('{"subscriptions": []}')
    return running_hub(hub_settings(tmp_path, rules=RULES))


@pytest.mark.parametrize(
    ("before", "fact", "data", "status"),
    CASES,
    ids=[f"{c[1]}-{n}" for n, c in enumerate(CASES)],
)
async def test_an_order_fact_lands_on_its_order(
    tmp_path: Path, before: list[tuple[str, dict[str, Any]]], fact: str,
    data: dict[str, Any], status: str,
) -> None:  # fmt: skip
    async with stateful(tmp_path) as hub:
        sent = [("order.created", CREATED), *before, (fact, data)]
        for n, (event_type, body) in enumerate(sent):
            answer = await hub.send(event_type, body, f"msg_{n}")
            assert answer.status_code == 202, answer.text
        [order] = await orders(hub)
        shown = await hub.get("/api/objects/order/SO-1")
    assert (order["key"], order["status"]) == ("SO-1", status)
    assert shown["facts"]["order_number"] == "#1001"


async def test_an_invoice_that_names_no_order_makes_no_order(tmp_path: Path) -> None:
    async with stateful(tmp_path) as hub:
        free_text = {"invoice_id": "INV-9", "total": "40.00", "currency": "EUR"}
        assert (await hub.send("order.invoiced", free_text, "msg_free")).status_code == 202
        assert await orders(hub) == []
        # An invoice for an order the hub has not seen yet: the order is made, by its id.
        early = {"invoice_id": "INV-3", "order_id": "SO-3"}
        assert (await hub.send("order.invoiced", early, "msg_early")).status_code == 202
        assert [(o["key"], o["status"]) for o in await orders(hub)] == [("SO-3", "invoiced")]
        created = {**CREATED, "order_id": "SO-3"}
        assert (await hub.send("order.created", created, "msg_late")).status_code == 202
        assert [o["key"] for o in await orders(hub)] == ["SO-3"]


async def test_an_older_event_keeps_its_facts_without_moving_the_status(tmp_path: Path) -> None:
    async with stateful(tmp_path) as hub:
        shipped = {"type": "order.shipped", "timestamp": "2026-11-20T12:00:00Z"}
        answer = await hub.send("order.shipped", SHIPPED, "msg_ship", extra=shipped)
        assert answer.status_code == 202, answer.text
        created = {"type": "order.created", "timestamp": "2026-11-20T09:00:00Z"}
        answer = await hub.send("order.created", CREATED, "msg_created", extra=created)
        assert answer.status_code == 202, answer.text
        [order] = await orders(hub)
        shown = await hub.get("/api/objects/order/SO-1")
    assert order["status"] == "shipped"  # the older event moved nothing back
    facts = shown["facts"]
    assert (facts["carrier"], facts["tracking_number"]) == ("UPS", "1Z999")
    assert (facts["order_number"], facts["currency"], facts["total"]) == ("#1001", "EUR", "12.50")
    assert facts["lines"] == LINES
    assert shown["logbook"][0]["outcome"] == "stale"
