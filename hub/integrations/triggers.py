"""Which triggers a low-code connector offers, and what they are called: the same for the
Power Automate connector and the Zapier app."""

from __future__ import annotations

from hub.catalog import Catalog, EventType
from hub.state.rules import Rules

OBJECT_TYPES_WITH_STATUS_EVENTS = ("order", "customer", "vendor", "product", "purchase_order")


def triggered(catalog: Catalog) -> list[EventType]:
    """Named types; families (status changes, overdue) get their triggers per object type."""
    found = [t for t in catalog if t.pattern is None]
    for object_type in OBJECT_TYPES_WITH_STATUS_EVENTS:
        overdue = f"{object_type}.overdue"
        if overdue in catalog:
            found.append(catalog.get(overdue))
    return found


def status_triggered(catalog: Catalog, rules: Rules) -> list[tuple[EventType, list[str]]]:
    """Each object type's `<type>.status_changed`, with the statuses its rules declare."""
    found = []
    for object_type, type_rules in rules.types.items():
        status_type = f"{object_type}.status_changed"
        if status_type in catalog:
            found.append((catalog.get(status_type), sorted(type_rules.statuses)))
    return found


# Types whose names read badly when spelled out word by word.
SUMMARIES = {
    "erp.business_event": "When an ERP business event occurs",
    "hub.unmapped": "When the hub receives an event it cannot map",
    "hub.delivery.exhausted": "When a delivery runs out of retries",
    "hub.subscription.disabled": "When a subscription is disabled",
    "hub.subscription.validation_failed": "When a subscription's target refuses validation",
}
PARTICIPLES = ("paid", "sent", "built")  # past participles that do not end in -ed


def trigger_summary(event_type: str) -> str:
    """The trigger's name, "When an order is shipped": the noun from the prefix, the
    participle from the rest."""
    if event_type in SUMMARIES:
        return SUMMARIES[event_type]
    *nouns, last = event_type.split(".")
    noun = " ".join(nouns).replace("_", " ")
    article = "an" if noun[:1] in "aeiou" else "a"
    words = last.split("_")
    if last == "overdue":
        return f"When {article} {noun} is overdue"
    participle = words[-1].endswith("ed") or words[-1] in PARTICIPLES
    if participle and len(words) == 1:
        return f"When {article} {noun} is {last}"
    if participle:
        return f"When {article} {noun}'s {' '.join(words[:-1])} is {words[-1]}"
    return f"When {article} {noun} {' '.join(words)} event occurs"
