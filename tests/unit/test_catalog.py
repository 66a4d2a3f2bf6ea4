"""The event catalog: schemas load, examples validate, violations point at the field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from hub.catalog import Catalog, load_catalog
from hub.errors import ConfigError, UnknownEventType

REQUIRED = {
    *(f"order.{s}" for s in ("created", "updated", "confirmed", "cancelled", "picked",
                             "packed", "shipped", "delivered", "invoiced", "paid", "refunded")),
    "customer.created", "customer.updated", "customer.deleted", "product.created",
    "product.updated", "vendor.created", "vendor.updated", "purchase_order.confirmed",
    "shipment.tracking_updated", "erp.business_event", "hub.unmapped",
}  # fmt: skip


def test_ships_the_required_types_with_versions_and_examples(catalog: Catalog) -> None:
    names = {t.name for t in catalog}
    assert names >= REQUIRED | {"data-event"}
    for event_type in catalog:
        assert re.fullmatch(r"\d+\.\d+", event_type.version)
        assert event_type.description
        name = event_type.schema.get("x-event-type-example", event_type.name)
        assert catalog.violations(name, event_type.example) == []


@pytest.mark.parametrize(
    ("name", "member"),
    [("invoice.updated", True), ("sales_receipt.deleted", True), ("invoice.emailed", False),
     ("Invoice.created", False), ("invoice", False), ("a.b.created", False)],
)  # fmt: skip
def test_generic_data_events_form_a_family(catalog: Catalog, name: str, member: bool) -> None:
    assert (name in catalog) is member
    if member:
        assert catalog.get(name).name == name
        assert catalog.get(name).subject_of({"record_id": "7"}) == f"{name.split('.')[0]}/7"
        assert catalog.violations(name, {"entity": name.split(".")[0]}) != []


def test_a_named_type_wins_over_the_family(catalog: Catalog) -> None:
    assert catalog.get("customer.created").schema["x-event-type"] == "customer.created"
    assert "customer.created" in {t.name for t in catalog}
    assert "invoice.updated" not in {t.name for t in catalog}  # members are not listed


@pytest.mark.parametrize(
    ("name", "field", "value", "pointer"),
    [
        ("order.created", "currency", "euro", "/data/currency"),
        ("order.created", "total", 12.5, "/data/total"),
        ("order.created", "lines", [{"quantity": -1}], "/data/lines/0/quantity"),
        ("order.shipped", "tracking_number", 5, "/data/tracking_number"),
        ("order.shipped", "shipped_at", "yesterday", "/data/shipped_at"),
        ("order.invoiced", "invoice_date", "2026-13-45", "/data/invoice_date"),
        ("customer.created", "addresses", [{"country": "Germany"}], "/data/addresses/0/country"),
    ],
)
def test_violations_point_at_the_field(
    catalog: Catalog, name: str, field: str, value: Any, pointer: str
) -> None:
    data = dict(catalog.get(name).example)
    data[field] = value
    assert {v.pointer for v in catalog.violations(name, data)} == {pointer}


def test_missing_fields_point_at_the_object(catalog: Catalog) -> None:
    found = catalog.violations("purchase_order.confirmed", {"vendor_id": "1"})
    assert [v.pointer for v in found] == ["/data"]
    assert "purchase_order_id" in found[0].message


def test_unknown_type(catalog: Catalog) -> None:
    with pytest.raises(UnknownEventType) as caught:
        catalog.get("order.teleported")
    assert caught.value.status == 422


def test_subject_from_the_key_field(catalog: Catalog) -> None:
    assert catalog.get("order.shipped").subject_of({"order_id": "1001"}) == "order/1001"
    assert catalog.get("customer.created").subject_of({"customer_id": "C-9"}) == "customer/C-9"
    assert catalog.get("order.created").subject_of({}) is None


def schema_dir(tmp_path: Path, name: str, schema: Any) -> Path:
    (tmp_path / f"{name}.json").write_text(
        schema if isinstance(schema, str) else json.dumps(schema)
    )
    return tmp_path


GOOD = {"x-event-type": "thing.made", "x-version": "1.0", "type": "object"}


@pytest.mark.parametrize(
    ("name", "schema", "message"),
    [
        ("thing.made", "{not json", "cannot read schema"),
        ("thing.made", [1], "must be a JSON object"),
        ("thing.made", GOOD | {"x-event-type": "other.thing"}, "must match the file name"),
        ("thing.made", GOOD | {"x-version": "1"}, "major.minor"),
        ("thing.made", GOOD | {"type": "nonsense"}, "invalid JSON Schema"),
        ("thing.made", GOOD | {"required": ["a"], "examples": [{}]}, "example does not validate"),
        ("Thing", GOOD | {"x-event-type": "Thing"}, "must match the file name"),
    ],
)
def test_a_bad_schema_stops_start_up_naming_the_file(
    tmp_path: Path, name: str, schema: Any, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_catalog(schema_dir(tmp_path, name, schema))
    assert f"{name}.json" in caught.value.detail
    assert message in caught.value.detail


def test_an_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no event type schemas"):
        load_catalog(tmp_path)
