"""Who sees what, as tables: allowances, views, the partners file, and (Hypothesis) a
partner's list of events equals the events its allowance admits, through the store's pages."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.access.allowance import Allowance
from hub.access.partners import load_partners
from hub.access.view import View
from hub.api import visible
from hub.catalog import load_catalog
from hub.config import PROJECT_ROOT
from hub.errors import ConfigError
from hub.filters import parse_filter
from hub.ids import new_id
from hub.model import (
    BusinessObject,
    Delivery,
    DeliveryStatus,
    Event,
    EventFilter,
    Issue,
    IssueStatus,
    Receipt,
)
from hub.store.sqlite import SqliteStore

CATALOG = load_catalog(PROJECT_ROOT / "schemas")
NORTH = Allowance(("order.*",), ("USMF",))
ANYWHERE = Allowance(("order.shipped", "customer.*"), ("*",), parse_filter({"channel": "b2b"}))


def event(kind: str, company: str | None, data: dict[str, object] | None = None,
          n: int = 1) -> Event:  # fmt: skip
    return Event(f"evt_{n:032x}", kind, "src", "standard", 0.0, 0.0, json.dumps(data or {}),
                 company=company)  # fmt: skip


@pytest.mark.parametrize(("allowance", "kind", "company", "data", "seen"), [
    (NORTH, "order.created", "USMF", {}, True),
    (NORTH, "order.created", "DEMF", {}, False),
    (NORTH, "order.created", None, {}, False),  # no company: outside all but "*"
    (NORTH, "customer.created", "USMF", {}, False),
    (NORTH, "hub.subscription.disabled", "USMF", {}, False),
    (ANYWHERE, "order.shipped", None, {"channel": "b2b"}, True),
    (ANYWHERE, "order.shipped", "XX", {"channel": "b2c"}, False),  # the fixed filter
    (ANYWHERE, "order.created", "XX", {"channel": "b2b"}, False),
    (ANYWHERE, "customer.updated", "XX", {"channel": "b2b"}, True),
])  # fmt: skip
def test_what_an_allowance_admits(allowance: Allowance, kind: str, company: str | None,
                                  data: dict[str, object], seen: bool) -> None:  # fmt: skip
    assert View(allowance=allowance).event(event(kind, company, data)) is seen


@pytest.mark.parametrize(("allowance", "object_type", "company", "seen"), [
    (NORTH, "order", "USMF", True),
    (NORTH, "order", None, False),
    (NORTH, "customer", "USMF", False),
    (ANYWHERE, "order", None, True),  # order.shipped allows orders
    (ANYWHERE, "vendor", "X", False),
    (Allowance(("*",), ("*",)), "vendor", None, True),
])  # fmt: skip
def test_which_objects_an_allowance_shows(allowance: Allowance, object_type: str,
                                          company: str | None, seen: bool) -> None:  # fmt: skip
    obj = BusinessObject("obj_1", object_type, "K-1", "s", "open", "", 0.0, 0.0, 0.0, company)
    assert View(allowance=allowance).object(obj) is seen


@pytest.mark.parametrize(("pattern", "covered"), [
    ("order.*", True), ("order.created", True), ("order.status_changed", True),
    ("*", False), ("customer.*", False), ("hub.*", False), ("hub.issue.opened", False),
])  # fmt: skip
def test_a_subscription_pattern_must_be_covered(pattern: str, covered: bool) -> None:
    assert NORTH.covers(pattern) is covered


def test_a_partners_own_records_and_nobody_elses() -> None:
    view = View(allowance=NORTH, subscriptions=frozenset({"sub_a"}))
    mine = Delivery("dlv_1", "evt_1", "sub_a", "order.created", DeliveryStatus.PENDING, 0, 0)
    theirs = Delivery("dlv_2", "evt_1", "sub_b", "order.created", DeliveryStatus.PENDING, 0, 0)
    assert view.delivery(mine) and not view.delivery(theirs)
    about = Issue("iss_1", "k", "delivery", "sub_a", "t", IssueStatus.OPEN, 1, 0, 0)
    inbound = Issue("iss_2", "k", "inbound", "standard", "t", IssueStatus.OPEN, 1, 0, 0)
    assert view.issue(about) and not view.issue(inbound)
    own_hub = event("hub.subscription.disabled", None, {"subscription_id": "sub_a"})
    other_hub = event("hub.subscription.disabled", None, {"subscription_id": "sub_b"})
    assert view.event(own_hub) and not view.event(other_hub)
    assert not View().event(event("order.created", "USMF"))  # a token of no partner


def test_the_partners_file_names_every_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "partners.yaml"
    path.write_text("partners:\n  - name: ok\n    types: [order.*]\n    companies: [USMF]\n"
                    "  - name: Bad\n    types: [order.nope]\n    companies: USMF\n"
                    "  - name: ok\n    types: ['*']\n    companies: ['*']\n")  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        load_partners(path, CATALOG)
    lines = caught.value.detail.splitlines()
    assert any(line.startswith(f"{path}:5: partner 'Bad': name") for line in lines), lines
    assert any(":6: partner 'Bad': types/0" in line for line in lines), lines
    assert any(":7: partner 'Bad': companies" in line for line in lines), lines
    assert any(":8: partner 'ok': name is repeated" in line for line in lines), lines
    path.write_text("partners:\n  - {name: ok, types: [order.*], companies: [USMF]}\n")
    [partner] = load_partners(path, CATALOG)
    assert partner.origin == "file" and partner.allowance == NORTH


KINDS = ["order.created", "order.shipped", "customer.created", "vendor.created",
         "hub.issue.opened"]  # fmt: skip
COMPANIES = ["USMF", "DEMF", "GBSI", None]
allowances = st.builds(
    Allowance,
    st.lists(st.sampled_from(["order.*", "order.shipped", "customer.*", "*", "vendor.created"]),
             min_size=1, max_size=3, unique=True).map(tuple),
    st.lists(st.sampled_from(["USMF", "DEMF", "GBSI", "*"]), min_size=1, max_size=3,
             unique=True).map(tuple),
    st.sampled_from([None, parse_filter({"channel": "b2b"})]),
)  # fmt: skip
events = st.lists(
    st.tuples(st.sampled_from(KINDS), st.sampled_from(COMPANIES), st.sampled_from(["b2b", "b2c"])),
    max_size=60,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(allowance=allowances, made=events, page=st.integers(1, 7), chunk=st.integers(1, 9))
def test_a_partners_event_list_is_exactly_what_its_allowance_admits(
    allowance: Allowance, made: list[tuple[str, str | None, str]], page: int, chunk: int
) -> None:
    """Through the store's pages (SQLite's, as in production) and the narrowing cursor."""

    async def run() -> tuple[list[str], list[str]]:
        store = SqliteStore.throwaway()
        await store.open()
        stored = [event(kind, company, {"channel": channel}, n + 1)
                  for n, (kind, company, channel) in enumerate(made)]  # fmt: skip
        await store.ingest(Receipt(new_id("rcp"), "standard", None, 0.0, b""), stored, [])
        view = View(allowance=allowance)
        seen: list[str] = []
        cursor: str | None = None
        for _ in range(len(made) + 2):  # a scan limit may give empty pages: go on
            found = await visible.narrowed(
                lambda c, n: store.list_events(EventFilter(), c, n),
                cursor,
                page,
                view.event,
                chunk=chunk,
                scan_limit=chunk * 2,
            )
            seen += [e.id for e in found.items]
            cursor = found.next_cursor
            if cursor is None:
                break
        expected = [e.id for e in reversed(stored) if view.event(e)]
        await store.close()
        return seen, expected

    seen, expected = asyncio.run(run())
    assert seen == expected


def test_tokens_and_subscriptions_stored_before_partners_load_as_before() -> None:
    from hub.api import registration, tokens

    old_token = '{"id": "tok_1", "name": "zap", "hash": "ab", "created_at": 1.0}'
    token = tokens.from_document(old_token)
    assert (token.partner, token.expires_at, token.valid(1e12)) == (None, None, True)
    made = registration.subscription_from_body(
        {"url": "https://example.com/h", "events": ["order.*"]}, "tok_1", CATALOG, 0.0
    )[0]
    doc = json.loads(registration.to_document(made))
    del doc["partner"]  # as stored before partners existed
    sub = registration.from_document(json.dumps(doc))
    assert sub.partner is None and sub.owner == "tok_1"
