"""JSON Schema 2020-12 lowered to Swagger 2.0: every catalog type and its whole message, and
each lowering rule, with samples that must pass both the original and the lowered schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft202012Validator

from hub.catalog import EventType, load_catalog
from hub.config import PROJECT_ROOT
from hub.integrations.swagger import as_draft4, forbidden_keywords, to_swagger
from hub.model import Event
from hub.outbound.message import envelope, message_schema

CATALOG = load_catalog(PROJECT_ROOT / "schemas")
TYPES = [t for t in CATALOG if t.pattern is None] + [
    CATALOG.get("order.status_changed"), CATALOG.get("customer.overdue"),
    CATALOG.get("erp.sales_order_confirmed") if "erp.sales_order_confirmed" in CATALOG
    else CATALOG.get("order.created"),
]  # fmt: skip


def both_accept(original: dict[str, Any], sample: Any) -> None:
    Draft202012Validator(original).validate(sample)  # the sample is a fair one
    lowered = to_swagger(original)
    assert forbidden_keywords(lowered) == []
    Draft4Validator(as_draft4(lowered)).validate(sample)


def message_of(event_type: EventType, data: Any) -> Any:
    event = Event("evt_0123", event_type.name, "/connectors/standard", "standard", 1.8e9, 1.8e9,
                  json.dumps(data), f"{event_type.name.split('.')[0]}/1", "USMF",
                  schema_version=event_type.version)  # fmt: skip
    return json.loads(envelope(event))


@pytest.mark.parametrize("event_type", TYPES, ids=lambda t: t.name)
def test_every_catalog_example_passes_the_lowered_schema(event_type: EventType) -> None:
    examples = event_type.schema.get("examples") or []
    assert examples, f"{event_type.name} has no example to test with"
    for example in examples:
        both_accept(dict(event_type.schema), example)
        both_accept(message_schema(event_type), message_of(event_type, example))


@pytest.mark.parametrize("event_type", TYPES, ids=lambda t: t.name)
def test_the_lowered_schema_still_refuses(event_type: EventType) -> None:
    """Lowering loosens only where Swagger must: required fields and types still hold."""
    lowered = Draft4Validator(as_draft4(to_swagger(message_schema(event_type))))
    example = event_type.schema["examples"][0]
    message = message_of(event_type, example)
    assert not lowered.is_valid({k: v for k, v in message.items() if k != "data"})
    assert not lowered.is_valid({**message, "time": 7})
    for field in event_type.schema.get("required", []):
        assert not lowered.is_valid({**message, "data": {k: v for k, v in example.items()
                                                         if k != field}}), field  # fmt: skip


RULES: list[tuple[str, dict[str, Any], dict[str, Any], list[Any]]] = [
    ("null in a type list is x-nullable", {"type": ["string", "null"]},
     {"type": "string", "x-nullable": True}, ["a", None]),
    ("const is a one-value enum", {"const": "1.0"}, {"enum": ["1.0"]}, ["1.0"]),
    ("null in an enum is x-nullable", {"enum": ["a", None]},
     {"enum": ["a"], "x-nullable": True}, ["a", None]),
    ("a numeric exclusive bound is draft 4's flag", {"type": "number", "exclusiveMinimum": 0},
     {"type": "number", "minimum": 0, "exclusiveMinimum": True}, [0.5]),
    ("examples give the example", {"type": "integer", "examples": [3, 4]},
     {"type": "integer", "example": 3}, [3]),
    ("a nullable anyOf is its branch, nullable",
     {"anyOf": [{"type": "string", "minLength": 2}, {"type": "null"}]},
     {"type": "string", "minLength": 2, "x-nullable": True}, ["ab", None]),
    ("oneOf objects fold into every field, required by all",
     {"oneOf": [
         {"type": "object", "required": ["id", "sku"],
          "properties": {"id": {"type": "string"}, "sku": {"type": "string"}}},
         {"type": "object", "required": ["id", "gtin"],
          "properties": {"id": {"type": "string"}, "gtin": {"type": "string"}}}]},
     {"type": "object", "required": ["id"],
      "properties": {"id": {"type": "string"}, "sku": {"type": "string"},
                     "gtin": {"type": "string"}}},
     [{"id": "1", "sku": "A"}, {"id": "2", "gtin": "0123"}]),
    ("branches of two types fold into any value",
     {"anyOf": [{"type": "string"}, {"type": "integer"}]}, {}, ["7", 7]),
    ("integer or number is number", {"type": ["integer", "number"]}, {"type": "number"}, [1, 1.5]),
    ("a $ref is inlined",
     {"type": "object", "properties": {"to": {"$ref": "#/$defs/address"}},
      "$defs": {"address": {"type": "object", "properties": {"city": {"type": "string"}}}}},
     {"type": "object", "properties": {"to": {"type": "object",
                                              "properties": {"city": {"type": "string"}}}}},
     [{"to": {"city": "Oslo"}}]),
    ("allOf parts are merged",
     {"allOf": [{"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
                {"required": ["b"], "properties": {"b": {"type": "integer"}}}]},
     {"type": "object", "required": ["a", "b"],
      "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}},
     [{"a": "x", "b": 1}]),
    ("a tuple becomes an array of anything",
     {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
     {"type": "array", "items": {}}, [["a", 1]]),
    ("patternProperties open a closed object",
     {"type": "object", "patternProperties": {"^x_": {"type": "string"}},
      "additionalProperties": False},
     {"type": "object"}, [{"x_a": "1"}]),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "original", "lowered", "samples"), RULES,
                         ids=[r[0] for r in RULES])  # fmt: skip
def test_each_lowering_rule(rule: str, original: dict[str, Any], lowered: dict[str, Any],
                            samples: list[Any]) -> None:  # fmt: skip
    assert to_swagger(original) == lowered, rule
    for sample in samples:
        both_accept({"$schema": "https://json-schema.org/draft/2020-12/schema", **original},
                    sample)  # fmt: skip


def test_a_recursive_ref_is_cut_not_followed_forever() -> None:
    tree = {"$defs": {"node": {"type": "object", "properties": {
        "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
        "$ref": "#/$defs/node"}  # fmt: skip
    lowered = to_swagger(tree)
    assert lowered["type"] == "object" and forbidden_keywords(lowered) == []
    both_accept(tree, {"children": [{"children": [{"children": []}]}]})
