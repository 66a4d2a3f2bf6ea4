"""Payload filters: a small declarative language over an event's ``data``, evaluated purely.

A filter is a JSON object. Keys are dotted paths into ``data`` (``total``,
``shipping_address.country``, ``lines.0.sku``) or the combinators ``$and``, ``$or`` (lists of
filters) and ``$not`` (one filter). A path's condition is a value (shorthand for ``$eq``) or an
object of operators, all of which must hold::

    {"currency": "EUR"}
    {"total": {"$gte": 100}, "shipping_address.country": {"$in": ["DE", "AT"]}}
    {"$or": [{"company": "USMF"}, {"references.shopify": {"$exists": true}}]}
    {"$not": {"source_status": {"$in": ["test", "draft"]}}}

Operators: ``$eq $neq $gt $gte $lt $lte $in $nin $exists``, and over a list ``$all`` and
``$any``, whose operand is a filter applied to each element (``{"lines": {"$all":
{"unit_price": {"$gt": 0}}}}``: every line has a price). Amounts are decimal strings in the
catalog, so a number and a numeric string compare as numbers (``"404.95" > 100``). A missing
path satisfies only ``$neq``, ``$nin``, ``$exists: false`` and ``$all`` (nothing to check). A
filter is checked when a subscription is registered, so one that does not parse is a ``422``
then, never a delivery-time surprise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.errors import SchemaViolation, Violation

MAX_DEPTH = 16
MAX_NODES = 200
_MISSING = object()

Test = Callable[[Any], bool]


@dataclass(frozen=True)
class Filter:
    """A parsed filter: `test` answers for one event's data; `source` is the JSON as given."""

    test: Callable[[Mapping[str, Any]], bool]
    source: Mapping[str, Any]


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | str):
        try:
            found = Decimal(str(value))
        except InvalidOperation:
            return None
        return found if found.is_finite() else None
    return None


def _compare(left: Any, right: Any) -> int | None:
    """-1, 0 or 1, or None when the two cannot be ordered."""
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return (a > b) - (a < b)
    if isinstance(left, str) and isinstance(right, str):
        return (left > right) - (left < right)
    return None


def _equal(left: Any, right: Any) -> bool:
    if left is _MISSING or isinstance(left, bool) != isinstance(right, bool):
        return False  # JSON's true is not 1
    ordered = _compare(left, right)
    return ordered == 0 if ordered is not None else bool(left == right)


def _ordered(op: str) -> Callable[[Any, Any], bool]:
    wanted = {"$gt": (1,), "$gte": (0, 1), "$lt": (-1,), "$lte": (-1, 0)}[op]
    return lambda value, operand: _compare(value, operand) in wanted


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": _equal,
    "$neq": lambda value, operand: not _equal(value, operand),
    "$gt": _ordered("$gt"),
    "$gte": _ordered("$gte"),
    "$lt": _ordered("$lt"),
    "$lte": _ordered("$lte"),
    "$in": lambda value, operand: any(_equal(value, o) for o in operand),
    "$nin": lambda value, operand: not any(_equal(value, o) for o in operand),
    "$exists": lambda value, operand: (value is not _MISSING) is operand,
}


def _each(op: str) -> Callable[[Any, Any], bool]:
    """``$all`` / ``$any``: the sub-filter over each element of a list (a missing list has
    nothing that could fail ``$all``, and nothing that could pass ``$any``)."""
    every = op == "$all"

    def check(value: Any, inner: Callable[[Any], bool]) -> bool:
        if value is _MISSING:
            return every
        if not isinstance(value, list):
            return False
        return all(map(inner, value)) if every else any(map(inner, value))

    return check


def lookup(data: Any, path: tuple[str, ...]) -> Any:
    """The value at a dotted path, or `_MISSING`; digits index into lists."""
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return _MISSING
    return data


class _Parser:
    def __init__(self) -> None:
        self.nodes = 0
        self.problems: list[Violation] = []

    def fail(self, pointer: str, message: str) -> Callable[[Any], bool]:
        self.problems.append(Violation(pointer, message))
        return lambda data: False

    def node(self, raw: Any, pointer: str, depth: int) -> Callable[[Any], bool]:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            return self.fail(pointer, f"filters nest at most {MAX_DEPTH} deep, {MAX_NODES} terms")
        if not isinstance(raw, dict) or not raw:
            return self.fail(pointer, "a filter is a non-empty JSON object")
        parts = [
            self.term(key, value, f"{pointer}/{_escape(key)}", depth) for key, value in raw.items()
        ]
        return lambda data: all(part(data) for part in parts)

    def term(self, key: str, value: Any, pointer: str, depth: int) -> Callable[[Any], bool]:
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                return self.fail(pointer, f"{key} takes a non-empty list of filters")
            parts = [self.node(v, f"{pointer}/{i}", depth + 1) for i, v in enumerate(value)]
            if key == "$and":
                return lambda data: all(part(data) for part in parts)
            return lambda data: any(part(data) for part in parts)
        if key == "$not":
            inner = self.node(value, pointer, depth + 1)
            return lambda data: not inner(data)
        if key.startswith("$"):
            return self.fail(pointer, f"unknown combinator {key}; use $and, $or or $not")
        path = tuple(key.split("."))
        if not all(path):
            return self.fail(
                pointer, "a path is dot-separated names, e.g. shipping_address.country"
            )
        return self.condition(path, value, pointer, depth)

    def condition(
        self, path: tuple[str, ...], raw: Any, pointer: str, depth: int
    ) -> Callable[[Any], bool]:
        if not isinstance(raw, dict) or not any(k.startswith("$") for k in raw):
            raw = {"$eq": raw}
        checks: list[tuple[Callable[[Any, Any], bool], Any]] = []
        for op, operand in raw.items():
            where = f"{pointer}/{_escape(op)}"
            if op in ("$all", "$any"):
                checks.append((_each(op), self.node(operand, where, depth + 1)))
            elif op not in OPERATORS:
                known = ", ".join([*OPERATORS, "$all", "$any"])
                self.fail(where, f"unknown operator {op}; use {known}")
            elif op in ("$in", "$nin") and not isinstance(operand, list):
                self.fail(where, f"{op} takes a list")
            elif op == "$exists" and not isinstance(operand, bool):
                self.fail(where, "$exists takes true or false")
            elif (
                op in ("$gt", "$gte", "$lt", "$lte")
                and _number(operand) is None
                and not isinstance(operand, str)
            ):
                self.fail(where, f"{op} compares with a number or a string")
            else:
                checks.append((OPERATORS[op], operand))
        return lambda data: all(check(lookup(data, path), operand) for check, operand in checks)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def parse_filter(raw: Any, pointer: str = "/filter") -> Filter:
    """Compile a filter.

    Raises:
        SchemaViolation: one entry per problem, pointing into the filter.
    """
    parser = _Parser()
    test = parser.node(raw, pointer, 0)
    if parser.problems:
        raise SchemaViolation("the filter does not parse", parser.problems)
    return Filter(test, raw)
