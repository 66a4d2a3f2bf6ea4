"""rules.yaml: the shipped defaults load, and every problem of a bad file is named at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.catalog import Catalog
from hub.config import PROJECT_ROOT
from hub.errors import ConfigError
from hub.state.rules import load_rules

GOOD = """\
types:
  order:
    begin: received
    statuses:
      received: {state: received, reason: new}
      shipped: {state: fulfillment_in_process, reason: packed}
    transitions:
      - {from: [received], to: shipped, on: [order.shipped]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return path


def test_the_shipped_rules_load(catalog: Catalog) -> None:
    rules = load_rules(PROJECT_ROOT / "rules.yaml", catalog)
    assert set(rules.types) == {"order", "customer", "vendor", "purchase_order"}
    order = rules.types["order"]
    assert order.begin == "received"
    assert (order.status("picked").state, order.status("picked").reason) == (
        "fulfillment_in_process", "picked")  # fmt: skip
    assert order.status("on_hold").hidden
    assert order.status("paid").deadline is not None
    assert rules.object_type("shipment.tracking_updated") == "order"
    assert rules.object_type("order.status_changed") is None  # rules cannot loop
    assert rules.object_type("invoice.updated") is None


def test_on_is_a_key_not_a_boolean(tmp_path: Path, catalog: Catalog) -> None:
    # YAML 1.1 reads a bare `on` as true; the loader keeps YAML 1.2's booleans only.
    rules = load_rules(write(tmp_path, GOOD), catalog)
    assert rules.types["order"].transitions[0].on == ("order.shipped",)


@pytest.mark.parametrize(
    ("replace", "by", "problem"),
    [
        ("to: shipped", "to: teleported", "rules.yaml:8: types.order.transitions[0]: to: "
                                          "'teleported' is not one of its statuses"),
        ("on: [order.shipped]", "on: [order.beamed]", "'order.beamed' is not in the event catalog"),
        ("on: [order.shipped]", "on: [order.status_changed]", "rules may not loop"),
        ("on: [order.shipped]}", "on: [order.shipped], when: {total: {$between: 1}}}",
         "the condition does not parse"),
        ("begin: received", "begin: nowhere", "begin must name one of its statuses"),
        ("  order:\n", "  invoice:\n", "not an object type"),
        ("reason: packed}", "reason: packed}\n      lost: {state: x, reason: y}",
         "types.order.statuses.lost: no transition or fallback reaches this status"),
        ("reason: new}", "reason: new, deadline: {after: soon, emit: order.overdue}}",
         "deadline is {after: 48h"),
        ("from: [received]", "from: [nowhere]", "from: 'nowhere' is not one of its statuses"),
    ],
)  # fmt: skip
def test_a_bad_file_names_the_line_and_entry(
    tmp_path: Path, catalog: Catalog, replace: str, by: str, problem: str
) -> None:
    assert replace in GOOD
    with pytest.raises(ConfigError) as caught:
        load_rules(write(tmp_path, GOOD.replace(replace, by)), catalog)
    assert problem in caught.value.detail
    assert caught.value.detail.startswith(f"{tmp_path / 'rules.yaml'}:")


def test_every_problem_is_reported_at_once(tmp_path: Path, catalog: Catalog) -> None:
    bad = GOOD.replace("to: shipped", "to: teleported").replace("begin: received", "begin: x")
    with pytest.raises(ConfigError) as caught:
        load_rules(write(tmp_path, bad), catalog)
    lines = caught.value.detail.splitlines()
    assert any("begin must name" in line for line in lines)
    assert any("'teleported'" in line for line in lines)
    assert any(":6: types.order.statuses.shipped: no transition" in line for line in lines)


def test_no_rules_file_means_no_business_state(catalog: Catalog) -> None:
    assert load_rules(None, catalog).types == {}
