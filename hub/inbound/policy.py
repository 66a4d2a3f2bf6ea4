"""Company assignment: which company, site and warehouse a storefront order belongs to.

Storefronts know nothing of the ERP's legal entities, so a declarative policy in
`connectors.yaml` fills them in before the event is stored::

    company_policy:
      applies_to: ["order.*"]            # the default
      rules:                             # first match wins
        - when: {store: acme-us.myshopify.com}
          assign: {company: USMF, site: "1", warehouse: "11"}
        - when: {currency: [EUR, CHF], ship_to_country: DE}
          assign: {company: DEMF}

A rule matches when every fact it names has one of the listed values. An event the policy
applies to that no rule resolves is quarantined, and re-processed once the policy is fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from hub.errors import ConfigError
from hub.model import CanonicalEvent

FACTS = ("store", "currency", "ship_to_country")
ASSIGNED = ("company", "site", "warehouse")


@dataclass(frozen=True)
class Rule:
    """``when`` maps each fact to the values that satisfy it."""

    when: Mapping[str, frozenset[str]]
    company: str
    site: str | None = None
    warehouse: str | None = None


@dataclass(frozen=True)
class CompanyPolicy:
    rules: tuple[Rule, ...]
    applies_to: tuple[str, ...] = ("order.*",)


def facts(event: CanonicalEvent) -> dict[str, str]:
    """What a rule can test, read from the event; facts the payload lacks are left out."""
    found: dict[str, str] = {}
    if event.store:
        found["store"] = event.store.lower()
    currency = event.data.get("currency")
    if isinstance(currency, str):
        found["currency"] = currency.upper()
    address = event.data.get("shipping_address")
    if isinstance(address, dict) and isinstance(address.get("country"), str):
        found["ship_to_country"] = address["country"].upper()
    return found


def applies(policy: CompanyPolicy, event_type: str) -> bool:
    return any(
        p == "*" or p == event_type or (p.endswith(".*") and event_type.startswith(p[:-1]))
        for p in policy.applies_to
    )


def resolve(policy: CompanyPolicy, event: CanonicalEvent) -> Rule | None:
    """The first rule whose every condition holds for the event, or None."""
    known = facts(event)
    for rule in policy.rules:
        if all(known.get(name) in values for name, values in rule.when.items()):
            return rule
    return None


def assign(policy: CompanyPolicy, event: CanonicalEvent) -> CanonicalEvent | str:
    """The event with its company filled in, or the reason it cannot be.

    Events that already name a company, or that the policy does not cover, pass unchanged.
    """
    if event.company is not None or not applies(policy, event.type):
        return event
    rule = resolve(policy, event)
    if rule is None:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(facts(event).items())) or "no facts"
        return f"no company policy rule matches {event.type} ({shown})"
    extra = {
        k: v for k, v in zip(ASSIGNED, (rule.company, rule.site, rule.warehouse), strict=True) if v
    }
    return replace(event, company=rule.company, data={**event.data, **extra})


def parse_company_policy(raw: Any, where: str) -> CompanyPolicy:
    """Build a policy from its YAML form.

    Raises:
        ConfigError: naming the rule at fault.
    """
    if not isinstance(raw, dict) or set(raw) - {"rules", "applies_to"}:
        raise ConfigError(f"{where}: company_policy takes 'rules' and 'applies_to'")
    applies_to = raw.get("applies_to", ["order.*"])
    if not isinstance(applies_to, list) or not all(isinstance(p, str) for p in applies_to):
        raise ConfigError(f"{where}: applies_to must list event types or patterns")
    rules = raw.get("rules")
    if not isinstance(rules, list) or not rules:
        raise ConfigError(f"{where}: company_policy.rules must be a non-empty list")
    parsed = tuple(_rule(r, f"{where}: rule {i + 1}") for i, r in enumerate(rules))
    return CompanyPolicy(parsed, tuple(applies_to))


def _rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, dict) or set(raw) != {"when", "assign"}:
        raise ConfigError(f"{where}: a rule has exactly 'when' and 'assign'")
    when, target = raw["when"], raw["assign"]
    if not isinstance(when, dict) or not when or set(when) - set(FACTS):
        raise ConfigError(f"{where}: 'when' tests one or more of {', '.join(FACTS)}")
    if not isinstance(target, dict) or set(target) - set(ASSIGNED) or "company" not in target:
        raise ConfigError(f"{where}: 'assign' sets company, and optionally site and warehouse")
    conditions = {name: _values(name, value, where) for name, value in when.items()}
    text = {k: str(v) for k, v in target.items() if v is not None}
    return Rule(conditions, text["company"], text.get("site"), text.get("warehouse"))


def _values(name: str, raw: Any, where: str) -> frozenset[str]:
    values = raw if isinstance(raw, list) else [raw]
    if not values or not all(isinstance(v, str | int) for v in values):
        raise ConfigError(f"{where}: when.{name} must be a string or a list of strings")
    fold = str.lower if name == "store" else str.upper
    return frozenset(fold(str(v)) for v in values)
