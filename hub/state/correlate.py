"""Correlation, pure: which business object an event is about, by every alias it carries.

An event names its object by its ``references`` (``{system: {kind: id}}``, each pair an alias
``system.kind:id``) and its subject (``subject:order/1001``). Declared links add the aliases the
payloads only imply: with ``{alias: d365.customer_ref, is: shopify.order_number}``, an event
carrying ``d365.customer_ref:#1042`` also carries ``shopify.order_number:#1042``, and the other
way round (links chain: a tracking number one system calls ``tracking_number`` and another
``tracking_code`` is one id). Kinds that many objects share (a store, a tenant) or that name a
relative of another type (an order's customer) are not aliases. The store answers which known
objects hold any of those aliases; `match` decides: none creates an object, one updates it,
several are one object seen by two systems before either knew the other, and are merged into
the oldest.

An order fact names its order by more than its subject: ``order.invoiced`` is keyed by its
invoice and ``order.delivered`` by its tracking number, while their data also carries the
``order_id``, the order number or the tracking number of the order they are about. Each of
those is an alias (`IDENTIFIERS`), so the invoice lands on its order instead of making an
order of its own. Ids of things attached to an order (an invoice) find a known order, but
never make one (`ATTACHED`): a free-text invoice with no order is no order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hub.state.rules import Link

MAX_ALIASES = 64  # a payload cannot make one object answer to unbounded names
MAX_VALUE = 200
# Reference kinds that many objects share (a store, a tenant, a numbering): never an identity.
SHARED_KINDS = frozenset(
    {
        "store_id",
        "channel_id",
        "control_number",
        "legal_entity",
        "realm_id",
        "tenant_id",
        "organization",
        "correlation_id",
        "warehouse",
        "site",
    }
)
# Reference kinds that name a relative of another type (an order's customer): an identity of
# that type only, or every order of one customer would be one order.
RELATIVES = {
    "customer_id": "customer",
    "customer_account": "customer",
    "customer_number": "customer",
    "vendor_id": "vendor",
    "vendor_account": "vendor",
    "product_id": "product",
    "item_id": "product",
    "sku": "product",
    "purchase_order_id": "purchase_order",
}


# Data fields that name an object of a type, in the order a new object takes its key from.
# The first is the type's own id, written as the subject alias (``subject:order/SO-1``), so
# that it meets the subject of the events keyed by it.
IDENTIFIERS: dict[str, tuple[str, ...]] = {
    "order": ("order_id", "order_number", "tracking_number"),
}
# Data fields naming something attached to an object: they find it, never make it.
ATTACHED: dict[str, tuple[str, ...]] = {"order": ("invoice_id",)}


def _id_text(value: Any) -> str | None:
    """An id as text: a non-empty string or an integer (never a boolean), cut to MAX_VALUE."""
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
        return str(value)[:MAX_VALUE]
    return None


def _field_value(data: Mapping[str, Any], name: str) -> str | None:
    return _id_text(data.get(name))


def naming_subject(object_type: str, subject: str | None, data: Mapping[str, Any]) -> str | None:
    """The subject an event names its object by: its own, unless that was derived from a
    field that is not the object's id (an invoice's, a tracking number's); then the object's
    id from the data, when it carries one."""
    names = IDENTIFIERS.get(object_type)
    if not names:
        return subject
    own = _field_value(data, names[0])
    others = (*names[1:], *ATTACHED.get(object_type, ()))
    derived = {f"{object_type}/{v}" for n in others if (v := _field_value(data, n))}
    if subject and (subject not in derived or subject == f"{object_type}/{own}"):
        return subject
    return f"{object_type}/{own}" if own else None


def _field_aliases(object_type: str, data: Mapping[str, Any]) -> set[str]:
    names = IDENTIFIERS.get(object_type, ())
    found: set[str] = set()
    own = _field_value(data, names[0]) if names else None
    if own is not None:
        found.add(f"subject:{object_type}/{own}")
    for name in (*names[1:], *ATTACHED.get(object_type, ())):
        value = _field_value(data, name)
        if value is not None:
            found.add(f"{name}:{value}")
    return found


def creates(object_type: str, aliases: Iterable[str]) -> bool:
    """Whether aliases that no known object holds may make a new object: not when all of
    them name things attached to one (an invoice without its order)."""
    attached = tuple(f"{name}:" for name in ATTACHED.get(object_type, ()))
    return any(not alias.startswith(attached) for alias in aliases) if attached else True


def identifies(kind: str, object_type: str) -> bool:
    """Whether a reference kind names the object itself, rather than something it shares."""
    return kind not in SHARED_KINDS and RELATIVES.get(kind, object_type) == object_type


def aliases_of(
    data: Mapping[str, Any], subject: str | None, object_type: str, links: Iterable[Link] = ()
) -> list[str]:
    """Every alias an event carries for its object, sorted, with the declared links applied."""
    found = _field_aliases(object_type, data)
    subject = naming_subject(object_type, subject, data)
    references = data.get("references")
    if isinstance(references, dict):
        for system, ids in references.items():
            if not isinstance(ids, dict):
                continue
            for kind, value in ids.items():
                if not identifies(str(kind), object_type):
                    continue
                text = _id_text(value)
                if text is not None:
                    found.add(f"{system}.{kind}:{text}")
    groups = link_groups(links)
    for alias in list(found):
        kind, _, value = alias.partition(":")
        for same in groups.get(kind, ()):
            found.add(f"{same}:{value}")
    if subject:
        found.add(f"subject:{subject[:MAX_VALUE]}")
    return sorted(found)[:MAX_ALIASES]


def link_groups(links: Iterable[Link]) -> dict[str, frozenset[str]]:
    """For each linked kind, every kind it names the same id as, transitively."""
    groups: list[set[str]] = []
    for link in links:
        joined = {link.alias, link.same_as}
        for group in [g for g in groups if g & joined]:
            joined |= group
            groups.remove(group)
        groups.append(joined)
    return {kind: frozenset(group) for group in groups for kind in group}


def implied_only(aliases: Iterable[str], sent: Iterable[str], links: Iterable[Link]) -> set[str]:
    """The aliases that only a declared link gives the object: each derives from an alias an
    event sent, and no event sent it itself."""
    groups = link_groups(links)
    told = set(sent)
    derived: set[str] = set()
    for alias in told:
        kind, _, value = alias.partition(":")
        derived.update(f"{same}:{value}" for same in groups.get(kind, ()))
    return (set(aliases) & derived) - told


def value_of(alias: str) -> str:
    """The id an alias names, without its kind: what people type to look an object up."""
    return alias.partition(":")[2]


def key_of(
    object_type: str, subject: str | None, aliases: list[str], data: Mapping[str, Any]
) -> str:
    """The key an object is shown by: its first event's subject key (the object's own id when
    the subject named something else), else its first identifier, else its first alias."""
    subject = naming_subject(object_type, subject, data)
    prefix = f"{object_type}/"
    if subject and subject.startswith(prefix) and len(subject) > len(prefix):
        return subject[len(prefix) :]
    for name in IDENTIFIERS.get(object_type, ()):
        value = _field_value(data, name)
        if value is not None:
            return value
    return value_of(aliases[0]) if aliases else ""


class Match(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    MERGE = "merge"


@dataclass(frozen=True)
class Correlation:
    """What to do with an event's object: make it, update it, or merge several into one."""

    match: Match
    object_id: str | None = None  # the survivor
    merged: tuple[str, ...] = ()  # objects folded into it


def match(known: Mapping[str, str]) -> Correlation:
    """Decide from the objects (alias -> object id) that already hold an event's aliases.

    Object ids are time-ordered, so the oldest survives a merge.
    """
    ids = sorted(set(known.values()))
    if not ids:
        return Correlation(Match.CREATE)
    if len(ids) == 1:
        return Correlation(Match.UPDATE, ids[0])
    return Correlation(Match.MERGE, ids[0], tuple(ids[1:]))
