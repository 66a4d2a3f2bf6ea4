"""Payload filters, as tables: what matches, and what is refused at registration."""

from __future__ import annotations

from typing import Any

import pytest

from hub.errors import SchemaViolation
from hub.filters import parse_filter

ORDER = {
    "order_id": "1001",
    "currency": "EUR",
    "total": "404.95",
    "lines": [{"sku": "GEAR-7", "quantity": 2}],
    "shipping_address": {"country": "DE"},
    "references": {"shopify": {"order_id": "820982911946154508"}},
    "test": False,
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"currency": "EUR"}, True),
        ({"currency": "USD"}, False),
        ({"currency": {"$eq": "EUR"}}, True),
        ({"currency": {"$neq": "EUR"}}, False),
        ({"total": {"$gt": 100}}, True),  # a decimal string against a number
        ({"total": {"$gt": "404.95"}}, False),
        ({"total": {"$gte": 404.95}}, True),
        ({"total": {"$lt": 1000, "$gt": 400}}, True),
        ({"total": {"$lte": 404.94}}, False),
        ({"total": 404.95}, True),  # equal as numbers
        ({"shipping_address.country": {"$in": ["DE", "AT"]}}, True),
        ({"shipping_address.country": {"$nin": ["DE", "AT"]}}, False),
        ({"lines.0.sku": "GEAR-7"}, True),
        ({"lines.1.sku": {"$exists": True}}, False),
        ({"lines.1.sku": {"$exists": False}}, True),
        ({"references.shopify": {"$exists": True}}, True),
        ({"missing": {"$neq": "x"}}, True),
        ({"missing": {"$nin": ["x"]}}, True),
        ({"missing": {"$gt": 1}}, False),
        ({"missing": "x"}, False),
        ({"test": False}, True),
        ({"test": 0}, False),  # booleans are not numbers
        ({"currency": "EUR", "total": {"$gt": 500}}, False),  # keys are and-ed
        ({"$or": [{"currency": "USD"}, {"total": {"$gt": 400}}]}, True),
        ({"$and": [{"currency": "EUR"}, {"$not": {"order_id": "1001"}}]}, False),
        ({"$not": {"currency": {"$in": ["GBP", "USD"]}}}, True),
        ({"shipping_address": {"country": "DE"}}, True),  # an object value is equality
        ({"lines": {"$all": {"quantity": {"$gt": 0}}}}, True),  # every line
        ({"lines": {"$all": {"sku": "OTHER"}}}, False),
        ({"lines": {"$any": {"sku": "GEAR-7"}}}, True),  # some line
        ({"lines": {"$any": {"sku": {"$in": ["A", "B"]}}}}, False),
        ({"missing": {"$all": {"sku": "x"}}}, True),  # no list, nothing fails
        ({"missing": {"$any": {"sku": "x"}}}, False),
        ({"currency": {"$all": {"sku": "x"}}}, False),  # not a list
    ],
)
def test_matching(raw: dict[str, Any], expected: bool) -> None:
    assert parse_filter(raw).test(ORDER) is expected


@pytest.mark.parametrize(
    ("raw", "pointer"),
    [
        ([], "/filter"),
        ({}, "/filter"),
        ({"total": {"$gt": [1]}}, "/filter/total/$gt"),
        ({"total": {"$between": [1, 2]}}, "/filter/total/$between"),
        ({"country": {"$in": "DE"}}, "/filter/country/$in"),
        ({"x": {"$exists": "yes"}}, "/filter/x/$exists"),
        ({"$or": []}, "/filter/$or"),
        ({"$or": [{"a": 1}, 5]}, "/filter/$or/1"),
        ({"$xor": [{"a": 1}]}, "/filter/$xor"),
        ({"a..b": 1}, "/filter/a..b"),
        ({"a/b": {"$foo": 1}}, "/filter/a~1b/$foo"),
        ({"lines": {"$all": 5}}, "/filter/lines/$all"),
        ({"lines": {"$any": {"sku": {"$in": "x"}}}}, "/filter/lines/$any/sku/$in"),
    ],
)
def test_refusals_point_at_the_problem(raw: Any, pointer: str) -> None:
    with pytest.raises(SchemaViolation) as caught:
        parse_filter(raw)
    assert caught.value.status == 422
    assert pointer in [v.pointer for v in caught.value.violations]


def test_depth_and_size_are_bounded() -> None:
    deep: dict[str, Any] = {"a": 1}
    for _ in range(40):
        deep = {"$not": deep}
    with pytest.raises(SchemaViolation, match="does not parse"):
        parse_filter(deep)
    wide = {"$or": [{f"f{i}": i} for i in range(500)]}
    with pytest.raises(SchemaViolation):
        parse_filter(wide)
