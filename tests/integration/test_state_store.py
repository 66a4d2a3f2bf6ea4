"""The store's business-state contract, run against every backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hub.ids import new_id
from hub.model import (
    BusinessObject,
    Delivery,
    DeliveryFilter,
    DeliveryStatus,
    Event,
    LogEntry,
    ObjectDeadline,
    ObjectFilter,
    Receipt,
    StateChange,
)
from hub.store import Store, open_store

NOW = 1_700_000_000.0


@pytest.fixture(params=["sqlite"])  # PostgreSQL joins with the store rebuild (issue 29)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    url = f"sqlite:///{tmp_path}/hub.db"
    the_store = open_store(url)
    await the_store.open()
    yield the_store
    await the_store.close()


def order(key: str, *aliases: str, status: str = "received", **facts: object) -> BusinessObject:
    return BusinessObject(new_id("obj"), "order", key, status, "received", "new", NOW, NOW, NOW,
                          "USMF", dict(facts), {"shopify": ["shopify", 1, NOW]},
                          tuple(sorted(aliases)))  # fmt: skip


def entry(obj: BusinessObject, outcome: str = "begun", to: str = "received") -> LogEntry:
    return LogEntry(new_id("log"), obj.id, NOW, "order.created", outcome, None, to, "created")


async def stored_event(store: Store, subject: str = "order/1") -> Event:
    event = Event(new_id("evt"), "order.created", "/connectors/shopify", "shopify", NOW, NOW,
                  '{"order_id":"1"}', subject)  # fmt: skip
    await store.ingest(Receipt(new_id("rcp"), "shopify", None, NOW, b"{}"), [event], [])
    return event


async def test_a_change_is_written_whole_and_found_by_any_alias(store: Store) -> None:
    event = await stored_event(store)
    obj = order("1001", "shopify.order_id:1001", "shopify.order_number:#1042", total="25.00")
    deadline = ObjectDeadline(obj.id, "received", NOW, NOW + 60, "order.overdue")
    status_event = Event(new_id("evt"), "order.status_changed", "/hub", "hub", NOW, NOW,
                         '{"to_status":"received"}', "order/1001")  # fmt: skip
    delivery = Delivery(new_id("dlv"), status_event.id, "erp", status_event.type,
                        DeliveryStatus.PENDING, NOW, NOW)  # fmt: skip
    change = StateChange(
        None, event.id, objects=[obj], log=[entry(obj)], timeline=[(obj.id, event.id)],
        deadlines=[deadline], receipt=Receipt(new_id("rcp"), "hub", None, NOW, b""),
        events=[status_event], deliveries=[delivery],
    )  # fmt: skip
    assert await store.apply_state(change) is True
    assert await store.state_cursor() == event.id
    assert await store.apply_state(change) is False  # the cursor moved on: applied once
    for key in ("1001", "shopify.order_number:#1042", "#1042"):
        found = await store.find_object("order", key)
        assert found is not None and found.id == obj.id, key
        assert found.aliases == obj.aliases and found.facts == {"total": "25.00"}
    assert await store.find_object("customer", "1001") is None
    assert await store.objects_by_alias(["shopify.order_id:1001", "x:y"]) == {
        "shopify.order_id:1001": obj.id}  # fmt: skip
    held = await store.holders(["shopify.order_id:1001", "shopify.order_number:#1042", "x:y"])
    assert held == [await store.get_object(obj.id)]  # once, with every alias
    assert await store.holders(["x:y"]) == [] and await store.holders([]) == []
    assert [e.outcome for e in await store.logbook(obj.id, 10)] == ["begun"]
    assert [e.id for e in await store.timeline(obj.id, 10)] == [event.id]
    assert await store.deadlines(obj.id) == [deadline]
    assert await store.due_deadlines(NOW + 59, 10) == []
    assert await store.due_deadlines(NOW + 60, 10) == [deadline]
    assert await store.next_deadline() == NOW + 60
    assert await store.get_event(status_event.id) == status_event
    pending = await store.list_deliveries(DeliveryFilter(event_id=status_event.id), None, 10)
    assert [d.id for d in pending.items] == [delivery.id]


async def test_objects_are_listed_by_their_filters(store: Store) -> None:
    first = order("1", "shopify.order_id:1", total="10")
    second = order("2", "shopify.order_id:2", "fedex.tracking:1Z99", status="shipped")
    late = ObjectDeadline(second.id, "shipped", NOW, NOW + 10, "order.overdue")
    await store.apply_state(StateChange(None, None, objects=[first, second], deadlines=[late]))

    async def ids(**where: Any) -> list[str]:
        found = await store.list_objects(ObjectFilter(**where), None, 10)
        return [o.key for o in found.items]

    assert await ids() == ["2", "1"]  # newest first
    assert await ids(status="shipped") == ["2"]
    assert await ids(type="customer") == []
    assert await ids(text="1Z99") == ["2"]  # an alias's id
    assert await ids(text="fedex.tracking:1Z99") == ["2"]
    assert await ids(overdue_at=NOW + 10) == ["2"]
    assert await ids(overdue_at=NOW + 9) == []
    # Raised: the deadline leaves the table, its logbook entry stays, and so does "overdue".
    raised = LogEntry(new_id("log"), second.id, NOW + 11, "order.overdue", "overdue",
                      "shipped", "shipped")  # fmt: skip
    await store.apply_state(StateChange(None, None, log=[raised], fired=[second.id]))
    assert await ids(overdue_at=NOW + 12) == ["2"]
    left = replace(second, status="delivered", since=NOW + 20)
    await store.apply_state(StateChange(None, None, objects=[left]))
    assert await ids(overdue_at=NOW + 21) == []  # until it leaves the status
    page = await store.list_objects(ObjectFilter(), None, 1)
    rest = await store.list_objects(ObjectFilter(), page.next_cursor, 1)
    assert [o.key for o in page.items + rest.items] == ["2", "1"]


async def test_a_merge_folds_one_object_into_the_other(store: Store) -> None:
    shop = order("1001", "shopify.order_number:#1042")
    erp = order("SO-7", "d365.sales_order:SO-7")
    await store.apply_state(StateChange(None, None, objects=[shop, erp],
                                        log=[entry(shop), entry(erp)]))  # fmt: skip
    survivor = replace(shop, aliases=(*shop.aliases, *erp.aliases))
    merged = StateChange(None, None, objects=[survivor], removed=[erp.id])
    assert await store.apply_state(merged)
    assert await store.get_object(erp.id) is None
    found = await store.find_object("order", "SO-7")
    assert found is not None and found.id == shop.id
    assert set(found.aliases) == {"shopify.order_number:#1042", "d365.sales_order:SO-7"}
    assert len(await store.logbook(shop.id, 10)) == 2  # the merged one's lines came along


async def test_a_rebuild_replaces_every_object_of_its_types_and_keeps_others(
    store: Store,
) -> None:
    event = await stored_event(store)
    old = order("1", "shopify.order_id:1", "shopify.order_id:old")
    manual = LogEntry(new_id("log"), old.id, NOW + 1, "manual", "forced", "received", "paid",
                      "forced: no price", None, "order-desk")  # fmt: skip
    overdue = LogEntry(new_id("log"), old.id, NOW + 2, "order.overdue", "overdue", "paid", "paid")
    customer = replace(order("C-1", "shopify.customer_id:C-1"), type="customer")
    assert await store.apply_state(StateChange(
        None, event.id, objects=[old, customer],
        log=[entry(old), manual, overdue, entry(customer)], timeline=[(old.id, event.id)],
        deadlines=[ObjectDeadline(old.id, "received", NOW, NOW + 9, "order.overdue")]))  # fmt: skip
    assert [e.id for e in await store.kept_log(["order"])] == [manual.id, overdue.id]
    assert await store.kept_log(["customer"]) == []

    rebuilt = replace(order("1", "shopify.order_id:1"), id=old.id, status="paid")
    written = StateChange(event.id, event.id, objects=[rebuilt], replace_types=("order",),
                          log=[replace(manual, id=new_id("log"))],
                          timeline=[(old.id, event.id)])  # fmt: skip
    assert await store.apply_state(written)
    assert (await store.get_object(old.id)) == rebuilt
    assert await store.objects_by_alias(["shopify.order_id:old"]) == {}  # its aliases anew
    assert [e.outcome for e in await store.logbook(old.id, 10)] == ["forced"]
    assert await store.deadlines(old.id) == []
    assert [e.id for e in await store.timeline(old.id, 10)] == [event.id]
    assert await store.get_object(customer.id) == customer  # another type is left alone
    assert len(await store.logbook(customer.id, 10)) == 1
    moved = StateChange("evt_elsewhere", "evt_elsewhere", replace_types=("order",))
    assert not await store.apply_state(moved)  # the tracker moved on: nothing is replaced
    assert await store.get_object(old.id) == rebuilt
