"""Partners: named parties (a 3PL, a marketplace, a customer's integration team), each with an
allowance, declared in ``partners.yaml`` (``HUB_PARTNERS``) or through ``/api/partners``.

::

    partners:
      - name: acme-3pl
        description: Acme's warehouse flows
        types: ["order.*", "shipment.*"]    # event type patterns
        companies: [USMF]                    # legal entities; ["*"] for all, and for none
        filter: {channel: wholesale}         # optional fixed payload filter
        force_scopes: [order-desk]           # optional: forced transitions it may make

One parser serves the file and the API, so both refuse the same things: every problem is
reported as a (field, message) pair, which the file turns into ``file:line`` lines and the API
into a 422 with JSON pointers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.access.allowance import Allowance
from hub.catalog import PATTERN, Catalog
from hub.errors import ConfigError, SchemaViolation
from hub.filters import parse_filter
from hub.yamlfile import load, refuse, where

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
COMPANY = re.compile(r"^[^\s].{0,63}$")
KEYS = ("name", "description", "types", "companies", "filter", "force_scopes")
MAX_ITEMS = 50


@dataclass(frozen=True)
class Partner:
    """A partner and what it may see; ``origin`` is ``file`` or ``api``."""

    name: str
    allowance: Allowance
    description: str | None = None
    force_scopes: tuple[str, ...] = ()
    origin: str = "api"
    created_at: float | None = None
    filter_source: Mapping[str, Any] | None = field(default=None, compare=False)


Problem = tuple[str, str]  # (field, what is wrong)


def _strings(raw: Any, key: str, check: re.Pattern[str], what: str) -> list[Problem]:
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_ITEMS:
        return [(key, f"a list of 1 to {MAX_ITEMS} {what}")]
    return [
        (f"{key}/{i}", f"{str(item)[:64]!r} is not {what[:-1] if what.endswith('s') else what}")
        for i, item in enumerate(raw)
        if not isinstance(item, str) or not check.match(item)
    ]


def _type_problems(raw: Any, catalog: Catalog) -> list[Problem]:
    found = _strings(raw, "types", PATTERN, "event types or patterns")
    if found:
        return found
    return [
        (f"types/{i}", f"{p!r} is not in the event catalog")
        for i, p in enumerate(raw)
        if "*" not in p and p not in catalog
    ]


def partner_problems(raw: Any, catalog: Catalog) -> list[Problem]:
    """Everything wrong with one partner as written, each naming its field."""
    if not isinstance(raw, Mapping):
        return [("", "a mapping with name, types and companies")]
    found: list[Problem] = [(k, "not a partner field") for k in raw if k not in KEYS]
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        found.append(("name", "1 to 64 of a-z, 0-9, '.', '_' and '-', starting with a letter"
                              " or digit"))  # fmt: skip
    found += _type_problems(raw.get("types"), catalog)
    found += _strings(raw.get("companies"), "companies", COMPANY, "company names")
    description = raw.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 200):
        found.append(("description", "a string of at most 200 characters"))
    if raw.get("force_scopes") is not None:
        found += _strings(raw["force_scopes"], "force_scopes", NAME, "scope names")
    if raw.get("filter") is not None:
        try:
            parse_filter(raw["filter"], "/filter")
        except SchemaViolation as exc:
            found += [(v.pointer.lstrip("/"), v.message) for v in exc.violations]
    return found


def partner_from(raw: Mapping[str, Any], origin: str, created_at: float | None) -> Partner:
    """A partner from a mapping `partner_problems` found nothing wrong with."""
    source = raw.get("filter")
    return Partner(
        name=raw["name"],
        allowance=Allowance(
            tuple(raw["types"]),
            tuple(raw["companies"]),
            parse_filter(source, "/filter") if source is not None else None,
        ),
        description=raw.get("description"),
        force_scopes=tuple(raw.get("force_scopes") or ()),
        origin=origin,
        created_at=created_at,
        filter_source=source,
    )


def describe(partner: Partner) -> dict[str, Any]:
    """A partner as written (the file's keys): the API's view and the stored document."""
    return {
        "name": partner.name,
        "description": partner.description,
        "types": list(partner.allowance.types),
        "companies": list(partner.allowance.companies),
        "filter": partner.filter_source,
        "force_scopes": list(partner.force_scopes),
    }


def to_document(partner: Partner) -> str:
    return json.dumps(describe(partner) | {"created_at": partner.created_at})


def from_document(doc: str) -> Partner:
    raw = json.loads(doc)
    created_at = raw.pop("created_at", None)
    return partner_from({k: v for k, v in raw.items() if v is not None}, "api", created_at)


def load_partners(path: Path | None, catalog: Catalog) -> list[Partner]:
    """Read and validate the partners file; absent means none.

    Raises:
        ConfigError: every problem in the file, each with its line and partner.
    """
    if path is None or not path.exists():
        return []
    doc = load(path, "partners")
    if doc is None:
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get("partners", []), list):
        raise ConfigError(f"{path}: expected a mapping with a 'partners' list")
    found: dict[str, Partner] = {}
    problems: list[str] = []
    for index, raw in enumerate(doc.get("partners") or []):
        label = f"partner {raw.get('name')!r}" if isinstance(raw, dict) else f"partner #{index}"
        wrong = partner_problems(raw, catalog)
        problems += [f"{where(path, raw, k.split('/')[0] or None)}: {label}: {k}: {m}"
                     for k, m in wrong]  # fmt: skip
        if wrong:
            continue
        if raw["name"] in found:
            problems.append(f"{where(path, raw)}: {label}: name is repeated")
            continue
        found[raw["name"]] = partner_from(raw, "file", None)
    refuse(problems)
    return list(found.values())


class PartnerRegistry:
    """The partners by name: the file's and the API's, with the ones an admin suspended."""

    def __init__(self, partners: Iterable[Partner], suspended: Iterable[str] = ()) -> None:
        self._by_name = {p.name: p for p in partners}
        self._suspended = set(suspended)

    def get(self, name: str | None) -> Partner | None:
        """An active partner (a suspended or removed one is None: its access has ended)."""
        if name is None or name in self._suspended:
            return None
        return self._by_name.get(name)

    def known(self, name: str) -> Partner | None:
        """Any partner, active or suspended (for the admin API)."""
        return self._by_name.get(name)

    def suspended(self, name: str) -> bool:
        return name in self._suspended

    def all(self) -> list[Partner]:
        return sorted(self._by_name.values(), key=lambda p: p.name)

    def put(self, partner: Partner) -> None:
        self._by_name[partner.name] = partner

    def remove(self, name: str) -> None:
        self._by_name.pop(name, None)
        self._suspended.discard(name)

    def set_suspended(self, name: str, suspended: bool) -> None:
        if suspended:
            self._suspended.add(name)
        else:
            self._suspended.discard(name)

    def allowances(self) -> dict[str, Allowance]:
        """Active partners' allowances, for routing their subscriptions' deliveries."""
        return {n: p.allowance for n, p in self._by_name.items() if n not in self._suspended}
