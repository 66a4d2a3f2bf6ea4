"""Facts, pure: what the hub knows of an object, folded from its events, and source ordering.

An object's facts are the latest known values of the fields people ask about (total,
currency, lines, carrier, tracking, invoice, company), whichever system told us last. They are
what a rule's condition sees as ``object`` and what `GET /api/objects/...` shows.

Sources disagree about time: D365 numbers its events (``ControlNumber``, increasing with gaps),
everything else has an event time. `stale` says whether an event is older than the last one
applied from the same source, so that a late arrival never moves a status back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FACT_KEYS = (
    "order_number",
    "company",
    "site",
    "warehouse",
    "currency",
    "total",
    "subtotal",
    "tax_total",
    "shipping_total",
    "amount",
    "amount_due",
    "lines",
    "customer",
    "email",
    "name",
    "carrier",
    "service",
    "tracking_number",
    "tracking_url",
    "shipment_id",
    "invoice_id",
    "invoice_number",
    "payment_id",
    "placed_at",
    "shipped_at",
    "paid_at",
    "delivered_at",
    "source_status",
    "status",
)
MAX_FACT = 8192  # characters of one fact's JSON kept; a huge line list is not a fact


def fold(facts: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The facts once an event's data is known: newer values replace older ones."""
    found = dict(facts)
    for key in FACT_KEYS:
        value = data.get(key)
        if value is None or value == "" or value == []:
            continue
        if len(repr(value)) <= MAX_FACT:
            found[key] = value
    return found


def fold_under(facts: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The facts once an older event's data is known: it fills in what is missing and
    changes nothing already known (anything known came from something newer)."""
    return {**fold({}, data), **facts}


def source_order(connector: str, data: Mapping[str, Any], time: float) -> list[Any]:
    """Where an event stands in its source's own order: D365's control number, else its time."""
    d365 = data.get("references", {}).get("d365", {}) if isinstance(data, dict) else {}
    number = d365.get("control_number") if isinstance(d365, dict) else None
    if isinstance(number, str) and number.isdigit():
        return [connector, 0, int(number)]
    return [connector, 1, time]


def stale(last: Mapping[str, list[Any]], order: list[Any]) -> bool:
    """True when an event is older than the last one applied from the same source."""
    seen = last.get(order[0])
    return seen is not None and seen[1] == order[1] and order[2] < seen[2]


def remember(last: Mapping[str, list[Any]], order: list[Any]) -> dict[str, list[Any]]:
    """The sources' positions once an event is applied."""
    return {**last, str(order[0]): order}
