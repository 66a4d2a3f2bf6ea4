"""The pure parts of business state, as tables: transitions, correlation, facts, and what one
event does to its object."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from hub.catalog import Catalog
from hub.config import PROJECT_ROOT
from hub.model import Event
from hub.state import correlate, facts
from hub.state.apply import apply_event, apply_manual
from hub.state.correlate import Match
from hub.state.rules import Link, Rules, load_rules
from hub.state.transitions import TransitionOutcome, decide_manual, decide_transition

NOW = 1_900_000_000.0
PRICED = {"lines": [{"sku": "A", "unit_price": "12.50"}], "company": "USMF"}


@pytest.fixture(scope="module")
def rules(catalog: Catalog) -> Rules:
    return load_rules(PROJECT_ROOT / "rules.yaml", catalog)


def ctx(**object_facts: Any) -> dict[str, Any]:
    return {"event": {}, "object": object_facts}


@pytest.mark.parametrize(
    ("current", "trigger", "context", "outcome", "target"),
    [
        ("received", "order.created", ctx(**PRICED), TransitionOutcome.MOVED, "company_assigned"),
        ("received", "order.created", ctx(company="USMF", lines=[{"unit_price": "0"}]),
         TransitionOutcome.FALLBACK, "on_hold"),  # the zero-price check
        ("received", "order.created", ctx(lines=[{"unit_price": "0"}]), TransitionOutcome.IGNORED,
         "received"),  # no company yet: it waits, whatever its prices
        ("company_assigned", "order.confirmed", ctx(**PRICED), TransitionOutcome.IGNORED,
         "company_assigned"),  # the ERP confirms what it has: nothing moves, nothing is logged
        ("on_hold", "order.updated", ctx(**PRICED), TransitionOutcome.MOVED, "company_assigned"),
        ("company_assigned", "order.picked", ctx(), TransitionOutcome.MOVED, "picked"),
        ("picked", "order.shipped", ctx(), TransitionOutcome.MOVED, "shipped"),
        # A 3PL ships first.
        ("received", "order.shipped", ctx(), TransitionOutcome.MOVED, "shipped"),
        ("shipped", "order.delivered", ctx(), TransitionOutcome.MOVED, "delivered"),
        ("delivered", "order.invoiced", ctx(), TransitionOutcome.MOVED, "invoiced"),
        ("invoiced", "order.paid", ctx(), TransitionOutcome.MOVED, "completed"),
        ("company_assigned", "order.paid", ctx(), TransitionOutcome.MOVED, "paid"),
        ("invoiced", "order.picked", ctx(), TransitionOutcome.NOT_ALLOWED, None),  # never backwards
        ("completed", "order.cancelled", ctx(), TransitionOutcome.NOT_ALLOWED, None),
        ("shipped", "order.refunded", ctx(), TransitionOutcome.MOVED, "refunded"),
        ("company_assigned", "order.updated", ctx(**PRICED), TransitionOutcome.NOT_ALLOWED, None),
        ("shipped", "erp.business_event", ctx(), TransitionOutcome.IGNORED, None),
    ],
)  # fmt: skip
def test_order_transitions(
    rules: Rules, current: str, trigger: str, context: dict[str, Any], outcome: TransitionOutcome,
    target: str | None,
) -> None:  # fmt: skip
    decision = decide_transition(rules.types["order"], current, trigger, context)
    assert decision.outcome is outcome
    if target is not None:
        assert decision.target == target


@pytest.mark.parametrize(
    ("current", "target", "force", "outcome"),
    [
        ("company_assigned", "sent_to_fulfillment", False, TransitionOutcome.MOVED),
        ("received", "on_hold", False, TransitionOutcome.NOT_ALLOWED),  # hidden: never by hand
        ("received", "shipped", False, TransitionOutcome.NOT_ALLOWED),  # only events ship an order
        ("received", "company_assigned", False, TransitionOutcome.FALLBACK),  # no company: held
        ("received", "company_assigned", True, TransitionOutcome.FORCED),
        ("received", "nowhere", False, TransitionOutcome.NOT_ALLOWED),
    ],
)
def test_manual_transitions(
    rules: Rules, current: str, target: str, force: bool, outcome: TransitionOutcome
) -> None:
    decision = decide_manual(rules.types["order"], current, target, ctx(), force)
    assert decision.outcome is outcome


LINKS = (Link("shipstation.order_key", "shopify.order_id"),
         Link("easypost.tracking_number", "shipstation.tracking_number"),
         Link("shopify.tracking_number", "easypost.tracking_number"))  # fmt: skip


@pytest.mark.parametrize(
    ("references", "object_type", "expected"),
    [
        ({"shopify": {"order_id": "82", "order_number": "#9"}}, "order",
         ["shipstation.order_key:82", "shopify.order_id:82", "shopify.order_number:#9"]),
        ({"bigcommerce": {"order_id": "5", "store_id": "S", "customer_id": "C"}}, "order",
         ["bigcommerce.order_id:5"]),  # a store and a customer are no order's identity
        ({"bigcommerce": {"customer_id": "C", "store_id": "S"}}, "customer",
         ["bigcommerce.customer_id:C"]),
        ({"shopify": {"tracking_number": "1Z"}}, "order",  # links chain
         ["easypost.tracking_number:1Z", "shipstation.tracking_number:1Z",
          "shopify.tracking_number:1Z"]),
        ({"shopify": {"order_id": True, "x": {"y": 1}}}, "order", []),
    ],
)  # fmt: skip
def test_aliases(references: dict[str, Any], object_type: str, expected: list[str]) -> None:
    found = correlate.aliases_of({"references": references}, None, object_type, LINKS)
    assert found == expected


def test_the_aliases_only_a_link_implies() -> None:
    held = ["easypost.tracking_number:1Z", "shipstation.order_key:82", "shopify.order_id:82",
            "shopify.tracking_number:1Z", "shipstation.tracking_number:1Z"]  # fmt: skip
    sent = ["shopify.order_id:82", "easypost.tracking_number:1Z", "shipstation.order_key:7"]
    assert correlate.implied_only(held, sent, LINKS) == {
        "shipstation.order_key:82", "shopify.tracking_number:1Z",
        "shipstation.tracking_number:1Z"}  # fmt: skip
    assert correlate.implied_only(held, held, LINKS) == set()  # sent itself: never implied


def test_matching_creates_updates_or_merges_into_the_oldest() -> None:
    assert correlate.match({}).match is Match.CREATE
    assert correlate.match({"a": "obj_2", "b": "obj_2"}).object_id == "obj_2"
    merged = correlate.match({"a": "obj_9", "b": "obj_2", "c": "obj_5"})
    assert (merged.match, merged.object_id, merged.merged) == (Match.MERGE, "obj_2",
                                                               ("obj_5", "obj_9"))  # fmt: skip


@pytest.mark.parametrize(
    ("last", "order", "stale"),
    [
        ({}, ["d365", 0, 5], False),
        ({"d365": ["d365", 0, 7]}, ["d365", 0, 5], True),  # an older control number
        ({"d365": ["d365", 0, 7]}, ["d365", 0, 8], False),
        ({"shopify": ["shopify", 1, 100.0]}, ["shopify", 1, 99.0], True),  # an older time
        ({"shopify": ["shopify", 1, 100.0]}, ["d365", 0, 1], False),  # another source
    ],
)
def test_source_order(last: dict[str, list[Any]], order: list[Any], stale: bool) -> None:
    assert facts.stale(last, order) is stale


def test_the_d365_control_number_orders_its_events() -> None:
    data = {"references": {"d365": {"control_number": "5637144576"}}}
    assert facts.source_order("d365", data, 9.0) == ["d365", 0, 5637144576]
    assert facts.source_order("shopify", {}, 9.0) == ["shopify", 1, 9.0]


def event(event_type: str, data: dict[str, Any], connector: str = "shopify",
          subject: str = "order/82", at: float = NOW) -> Event:  # fmt: skip
    import json

    return Event(f"evt_{int(at * 1000):032x}", event_type, f"/connectors/{connector}",
                 connector, at, at, json.dumps(data), subject, data.get("company"))  # fmt: skip


def test_a_new_order_begins_then_moves_raising_an_event_for_each(rules: Rules) -> None:
    data = {"order_id": "82", **PRICED, "references": {"shopify": {"order_id": "82"}}}
    applied = apply_event(rules, event("order.created", data), data, [], NOW)
    assert applied.object is not None
    assert (applied.object.status, applied.object.state) == ("company_assigned", "validated")
    assert [e.data["to_status"] for e in applied.emitted] == ["received", "company_assigned"]
    assert [e.data["from_status"] for e in applied.emitted] == [None, "received"]
    assert [entry.outcome for entry in applied.log] == ["begun", "moved"]
    assert applied.emitted[0].subject == "order/82"
    assert applied.object.facts["lines"] == PRICED["lines"]


def test_the_company_of_the_envelope_counts_when_the_data_has_none(rules: Rules) -> None:
    data = {"order_id": "83", "lines": PRICED["lines"]}
    told = replace(event("order.created", data, "standard", "order/83"), company="USMF")
    applied = apply_event(rules, told, data, [], NOW)
    assert applied.object is not None
    assert (applied.object.company, applied.object.status) == ("USMF", "company_assigned")


def test_an_older_event_never_moves_the_status_back(rules: Rules) -> None:
    refs = {"references": {"shopify": {"order_id": "82"}}}
    shipped = apply_event(rules, event("order.shipped", refs, at=NOW + 10), refs, [], NOW)
    assert shipped.object is not None and shipped.object.status == "shipped"
    late = apply_event(rules, event("order.created", {**PRICED, **refs}, at=NOW), refs,
                       [shipped.object], NOW + 20)  # fmt: skip
    assert late.object is not None and late.object.status == "shipped"
    assert [e.outcome for e in late.log] == ["stale"] and late.emitted == []


def test_two_objects_one_event_links_are_merged_into_the_oldest(rules: Rules) -> None:
    shop = {**PRICED, "references": {"shopify": {"order_id": "82"}}}
    first = apply_event(rules, event("order.created", shop), shop, [], NOW).object
    erp = {"references": {"d365": {"sales_order_id": "SO-1"}}}
    second = apply_event(rules, event("order.confirmed", erp, "d365", "order/SO-1"), erp, [],
                         NOW).object  # fmt: skip
    assert first is not None and second is not None
    both = {"references": {"d365": {"sales_order_id": "SO-1"}, "shopify": {"order_id": "82"}}}
    joined = apply_event(rules, event("order.invoiced", both, "d365", at=NOW + 5), both,
                         sorted([first, second], key=lambda o: o.id), NOW + 5)  # fmt: skip
    assert joined.object is not None and joined.removed == [max(first.id, second.id)]
    assert {"shopify.order_id:82", "d365.sales_order_id:SO-1"} <= set(joined.object.aliases)
    assert joined.object.status == "invoiced"


def test_a_manual_move_is_logged_with_who_asked(rules: Rules) -> None:
    refs = {**PRICED, "references": {"shopify": {"order_id": "82"}}}
    obj = apply_event(rules, event("order.created", refs), refs, [], NOW).object
    assert obj is not None
    applied = apply_manual(rules.types["order"], obj, "sent_to_fulfillment", "to the 3PL",
                           False, "admin", NOW + 1)  # fmt: skip
    assert applied.object is not None and applied.object.status == "sent_to_fulfillment"
    [entry] = applied.log
    assert (entry.trigger, entry.outcome, entry.message, entry.created_by) == (
        "manual", "moved", "to the 3PL", "admin")  # fmt: skip
    assert applied.emitted[0].data["created_by"] == "admin"


@pytest.mark.parametrize(
    ("subject", "data", "aliases", "key", "creates"),
    [
        # keyed by its invoice, about order SO-1: the order's id is its name, not the invoice's
        ("order/INV-1", {"invoice_id": "INV-1", "order_id": "SO-1"},
         ["invoice_id:INV-1", "subject:order/SO-1"], "SO-1", True),
        # an invoice naming no order finds one by the invoice, and never makes one
        ("order/INV-9", {"invoice_id": "INV-9"}, ["invoice_id:INV-9"], "INV-9", False),
        # keyed by its tracking number: a tracking number names the order it ships
        ("order/1Z9", {"tracking_number": "1Z9"}, ["tracking_number:1Z9"], "1Z9", True),
        ("order/SO-1", {"order_id": "SO-1", "order_number": "#1001", "tracking_number": "1Z9"},
         ["order_number:#1001", "subject:order/SO-1", "tracking_number:1Z9"], "SO-1", True),
        (None, {"order_number": "#1001"}, ["order_number:#1001"], "#1001", True),
        # a subject the sender chose is kept as it is
        ("order/SO-2", {"invoice_id": "INV-2"}, ["invoice_id:INV-2", "subject:order/SO-2"],
         "SO-2", True),
        (None, {"order_id": True, "order_number": ""}, [], "", False),  # not ids: no object
    ],
)  # fmt: skip
def test_an_order_fact_is_named_by_its_order_identifiers(
    subject: str | None, data: dict[str, Any], aliases: list[str], key: str, creates: bool
) -> None:
    found = correlate.aliases_of(data, subject, "order", ())
    assert found == aliases
    assert correlate.key_of("order", subject, found, data) == key
    assert correlate.creates("order", found) is creates


def test_older_facts_fill_in_and_never_overwrite() -> None:
    known = {"carrier": "UPS", "status": "shipped"}
    older = {"carrier": "DHL", "currency": "EUR", "total": "12.50", "status": "open"}
    assert facts.fold_under(known, older) == {
        "carrier": "UPS", "status": "shipped", "currency": "EUR", "total": "12.50"
    }  # fmt: skip
