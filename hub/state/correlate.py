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


def identifies(kind: str, object_type: str) -> bool:
    """Whether a reference kind names the object itself, rather than something it shares."""
    return kind not in SHARED_KINDS and RELATIVES.get(kind, object_type) == object_type


def aliases_of(
    data: Mapping[str, Any], subject: str | None, object_type: str, links: Iterable[Link] = ()
) -> list[str]:
    """Every alias an event carries for its object, sorted, with the declared links applied."""
    found: set[str] = set()
    references = data.get("references")
    if isinstance(references, dict):
        for system, ids in references.items():
            if not isinstance(ids, dict):
                continue
            for kind, value in ids.items():
                if not identifies(str(kind), object_type):
                    continue
                if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                    found.add(f"{system}.{kind}:{str(value)[:MAX_VALUE]}")
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


def value_of(alias: str) -> str:
    """The id an alias names, without its kind: what people type to look an object up."""
    return alias.partition(":")[2]


def key_of(object_type: str, subject: str | None, aliases: list[str]) -> str:
    """The key an object is shown by: its first event's subject key, else its first alias."""
    prefix = f"{object_type}/"
    if subject and subject.startswith(prefix) and len(subject) > len(prefix):
        return subject[len(prefix) :]
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
