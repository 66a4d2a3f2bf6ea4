"""Company assignment policy: a pure function over the event's facts, tested as a table."""

from __future__ import annotations

from typing import Any

import pytest

from hub.errors import ConfigError
from hub.inbound.policy import assign, parse_company_policy
from hub.model import CanonicalEvent

POLICY = parse_company_policy(
    {
        "rules": [
            {"when": {"store": "ACME-US.myshopify.com"},
             "assign": {"company": "USMF", "site": "1", "warehouse": "11"}},
            {"when": {"currency": ["eur", "CHF"], "ship_to_country": "DE"},
             "assign": {"company": "DEMF"}},
            {"when": {"ship_to_country": "GB"}, "assign": {"company": "GBSI", "warehouse": 7}},
        ]
    },
    "connectors.yaml: shopify.company_policy",
)  # fmt: skip


def order(
    store: str | None = None,
    currency: str | None = None,
    country: str | None = None,
    event_type: str = "order.created",
    company: str | None = None,
) -> CanonicalEvent:
    data: dict[str, Any] = {"order_id": "1"}
    if currency:
        data["currency"] = currency
    if country:
        data["shipping_address"] = {"country": country}
    return CanonicalEvent(event_type, 0.0, data, company=company, store=store)


@pytest.mark.parametrize(
    ("event", "company", "extra"),
    [
        (order(store="acme-us.myshopify.com"), "USMF", {"site": "1", "warehouse": "11"}),
        (order(store="ACME-US.MYSHOPIFY.COM", currency="EUR", country="DE"), "USMF",
         {"site": "1", "warehouse": "11"}),  # first match wins
        (order(currency="EUR", country="DE"), "DEMF", {}),
        (order(currency="chf", country="de"), "DEMF", {}),
        (order(currency="EUR", country="FR"), None, {}),  # every condition must hold
        (order(country="GB"), "GBSI", {"warehouse": "7"}),
        (order(), None, {}),
        (order(company="PRESET"), "PRESET", {}),  # a company from the source is kept
        (order(event_type="customer.created"), None, {}),  # the policy covers order.* only
    ],
)  # fmt: skip
def test_rules(event: CanonicalEvent, company: str | None, extra: dict[str, str]) -> None:
    result = assign(POLICY, event)
    if company is None and event.type.startswith("order."):
        assert isinstance(result, str)
        assert "no company policy rule matches order.created" in result
        return
    assert not isinstance(result, str)
    assert result.company == company
    assert {k: result.data[k] for k in ("site", "warehouse") if k in result.data} == extra


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"rules": []}, "non-empty list"),
        ({"rules": [{"when": {"planet": "mars"}, "assign": {"company": "X"}}]}, "rule 1"),
        ({"rules": [{"when": {"store": "a"}, "assign": {"site": "1"}}]}, "sets company"),
        ({"rules": [{"when": {"store": "a"}}]}, "exactly 'when' and 'assign'"),
        ({"rules": [{"when": {"store": []}, "assign": {"company": "X"}}]}, "string or a list"),
        ({"rules": [], "extra": 1}, "takes 'rules'"),
    ],
)  # fmt: skip
def test_a_bad_policy_names_the_rule(raw: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_company_policy(raw, "connectors.yaml: shopify.company_policy")
