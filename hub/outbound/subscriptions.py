"""Subscriptions: who receives which events, and the pure rules that decide it.

Static subscriptions come from `subscriptions.yaml`::

    subscriptions:
      - id: erp-orders
        url: https://erp.example.com/hooks/orders
        events: [order.created, "order.*"]
        company: USMF                     # optional
        secret: env:ERP_ORDERS_SECRET     # or a literal whsec_... key
        timeout: 10                       # seconds, optional
        retry:                            # optional override of the default schedule
          schedule: [0, 5, 300, 1800]
          jitter: 0.1
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from hub.access.allowance import Allowance
from hub.catalog import type_matches
from hub.config import Secret
from hub.filters import Filter
from hub.health import Health
from hub.model import SubscriptionState
from hub.outbound.batching import BatchPolicy, batch_problems
from hub.outbound.retry import DEFAULT_SCHEDULE, RetryPolicy
from hub.signing import decode_secret

SUBSCRIPTION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TIMEOUT_BOUNDS = (0.5, 60.0)
# States whose subscriptions are owed new events (a paused one's are held until it resumes).
ROUTED = (SubscriptionState.ACTIVE, SubscriptionState.PAUSED)
RETRY_BOUNDS = {"attempts": (1, 20), "delay": (0.0, 86_400.0), "jitter": (0.0, 0.5)}
# How a message is sent: `cloudevents` as application/cloudevents+json; `json`, the same
# document as application/json, which low-code designers parse without a schema of their own.
CONTENT_MODES = ("cloudevents", "json")
# Callback hosts of Power Automate and Logic Apps flows: they get `json` unless told otherwise.
JSON_CALLBACK_HOSTS = (".logic.azure.com", ".logic.azure.us", ".logic.azure.cn",
                       ".api.powerplatform.com", ".flow.microsoft.com")  # fmt: skip


@dataclass(frozen=True)
class Subscription:
    """An endpoint and what it wants.

    Attributes:
        events: exact types or patterns (``order.*``, ``*``).
        secrets: signing secrets; more than one while a rotation overlaps.
        origin: ``file`` for subscriptions.yaml entries.
    """

    id: str
    url: str
    events: tuple[str, ...]
    secrets: tuple[Secret, ...]
    company: str | None = None
    timeout: float | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    origin: str = "file"
    filter: Filter | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    state: SubscriptionState = SubscriptionState.ACTIVE
    owner: str | None = None
    # The partner whose caller made it: its deliveries stay within the partner's allowance.
    partner: str | None = None
    expires_at: float | None = None
    # When each secret stops signing (None: never); a rotation keeps the old one for a while.
    secret_expires_at: tuple[float | None, ...] = ()
    validated_by: str | None = None
    validation_note: str | None = None
    rate_limit: float | None = None  # deliveries per second
    max_in_flight: int | None = None
    ordered: bool = False  # one at a time per subject, in acceptance order
    batch: BatchPolicy | None = None
    description: str | None = None
    created_at: float | None = None
    content_mode: str = "cloudevents"

    def signing_keys(self, now: float | None = None) -> list[bytes]:
        """The keys to sign with: every secret still in its grace period, newest first."""
        expiries = self.secret_expires_at or (None,) * len(self.secrets)
        return [
            key
            for key, until in zip(self._keys, expiries, strict=True)
            if until is None or now is None or until > now
        ]

    @cached_property
    def _keys(self) -> tuple[bytes, ...]:
        # Decoded once per subscription, not once per delivery (6 µs of each, measured).
        return tuple(decode_secret(secret.reveal()) for secret in self.secrets)

    def signing_secret(self, now: float) -> Secret:
        """The newest secret still valid (the one a rotation keeps during its grace period)."""
        expiries = self.secret_expires_at or (None,) * len(self.secrets)
        for secret, until in zip(self.secrets, expiries, strict=True):
            if until is None or until > now:
                return secret
        return self.secrets[0]

    def receives(self, now: float) -> bool:
        """Active or paused, and not expired: new events are owed to it (a paused one's wait)."""
        return self.state in ROUTED and (self.expires_at is None or self.expires_at > now)


def default_content_mode(url: str) -> str:
    """`json` for a Power Automate or Logic Apps callback, else `cloudevents`."""
    host = (urlsplit(url).hostname or "").lower()
    return "json" if host.endswith(JSON_CALLBACK_HOSTS) else "cloudevents"


def content_mode_problem(raw: Any) -> str | None:
    if raw is None or raw in CONTENT_MODES:
        return None
    return f"one of {', '.join(CONTENT_MODES)}"


def matches(subscription: Subscription, event_type: str, company: str | None) -> bool:
    """True when the subscription wants this event."""
    if subscription.company is not None and subscription.company != company:
        return False
    return any(type_matches(p, event_type) for p in subscription.events)


def route(
    subscriptions: Iterable[Subscription], event_type: str, company: str | None
) -> list[Subscription]:
    """The subscriptions an event fans out to, in a stable order."""
    return [s for s in subscriptions if matches(s, event_type, company)]


def retry_problem(raw: Any) -> str | None:
    """What is wrong with a retry override (``{"schedule": [...], "jitter": 0.1}``), if anything."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - {"schedule", "jitter"}:
        return "retry takes only 'schedule' and 'jitter'"
    schedule = raw.get("schedule", list(DEFAULT_SCHEDULE))
    jitter = raw.get("jitter", 0.1)
    low, high = RETRY_BOUNDS["attempts"]
    if not isinstance(schedule, list) or not low <= len(schedule) <= high:
        return f"retry.schedule must list {low:g} to {high:g} delays"
    low, high = RETRY_BOUNDS["delay"]
    if not all(
        isinstance(d, int | float) and not isinstance(d, bool) and low <= d <= high
        for d in schedule
    ):
        return f"retry.schedule delays must be numbers in {low:g}..{high:g}"
    low, high = RETRY_BOUNDS["jitter"]
    if isinstance(jitter, bool) or not isinstance(jitter, int | float) or not low <= jitter <= high:
        return f"retry.jitter must be in {low:g}..{high:g}"
    return None


def retry_policy(raw: Any) -> RetryPolicy:
    """The policy of a retry override that `retry_problem` accepted (None: the default)."""
    if raw is None:
        return RetryPolicy()
    schedule = raw.get("schedule", list(DEFAULT_SCHEDULE))
    return RetryPolicy(tuple(float(d) for d in schedule), float(raw.get("jitter", 0.1)))


RATE_BOUNDS = (0.01, 10_000.0)
IN_FLIGHT_BOUNDS = (1, 1000)


def dispatch_problems(raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems with rate_limit, max_in_flight and ordered, as (field, message)."""
    found = []
    rate = raw.get("rate_limit")
    low, high = RATE_BOUNDS
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float)
                             or not low <= rate <= high):  # fmt: skip
        found.append(("rate_limit", f"deliveries per second in {low:g}..{high:g}"))
    cap = raw.get("max_in_flight")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int)
                            or not IN_FLIGHT_BOUNDS[0] <= cap <= IN_FLIGHT_BOUNDS[1]):  # fmt: skip
        found.append(("max_in_flight", "an integer in 1..1000"))
    if not isinstance(raw.get("ordered", False), bool):
        found.append(("ordered", "true or false"))
    found += [("batch", problem) for problem in batch_problems(raw.get("batch"))]
    if raw.get("ordered") is True and raw.get("batch") is not None:
        found.append(("batch", "a batched subscription cannot also be ordered"))
    return found


class SubscriptionRegistry:
    """The live set of subscriptions: the file's and the API's, with the ones the hub has
    disabled (e.g. after 410 Gone). One hub process owns its store, so this mirror is exact."""

    def __init__(
        self,
        subscriptions: Sequence[Subscription],
        disabled: Iterable[str] = (),
        health: Mapping[str, Health] | None = None,
    ) -> None:
        self._by_id = {s.id: s for s in subscriptions}
        self._disabled = set(disabled)
        # Active partners' allowances: a partner's subscription receives only what its
        # allowance admits, and nothing while the partner is suspended or removed.
        self._allowances: dict[str, Allowance] = {}
        self._health = dict(health or {})
        # Routing is pure, so its answers are kept per (type, company) until a state change.
        self._routes: dict[tuple[str, str | None], list[Subscription]] = {}

    def get(self, sub_id: str) -> Subscription | None:
        return self._by_id.get(sub_id)

    def all(self) -> list[Subscription]:
        return list(self._by_id.values())

    def is_active(self, sub_id: str) -> bool:
        return sub_id in self._by_id and sub_id not in self._disabled

    def set_active(self, sub_id: str, active: bool) -> None:
        if active:
            self._disabled.discard(sub_id)
        else:
            self._disabled.add(sub_id)
        self._routes.clear()

    def set_allowances(self, allowances: Mapping[str, Allowance]) -> None:
        """The partners' allowances, after any partner changes."""
        self._allowances = dict(allowances)
        self._routes.clear()

    def _within(self, s: Subscription, event_type: str, company: str | None) -> bool:
        if s.partner is None:
            return True
        allowance = self._allowances.get(s.partner)
        return (
            allowance is not None
            and allowance.admits_type(event_type)
            and allowance.admits_company(company)
        )

    def health(self, sub_id: str) -> Health:
        return self._health.get(sub_id, Health())

    def note_attempt(self, sub_id: str, succeeded: bool, at: float) -> Health:
        """Fold one attempt into the subscription's health (the store keeps the same)."""
        found = self._health[sub_id] = self.health(sub_id).after(succeeded, at)
        return found

    def put(self, subscription: Subscription) -> None:
        """Add or replace a subscription (the API's writes, after they are stored)."""
        self._by_id[subscription.id] = subscription
        self._routes.clear()

    def remove(self, sub_id: str) -> None:
        self._by_id.pop(sub_id, None)
        self._disabled.discard(sub_id)
        self._routes.clear()

    def route(
        self,
        event_type: str,
        company: str | None,
        data: Mapping[str, Any] | None = None,
        now: float | None = None,
    ) -> list[Subscription]:
        """Subscriptions that receive this event: type, company, state, expiry and filter."""
        key = (event_type, company)
        found = self._routes.get(key)
        if found is None:
            active = (
                s for s in self._by_id.values()
                if s.id not in self._disabled and s.state in ROUTED
                and self._within(s, event_type, company)
            )  # fmt: skip
            found = self._routes[key] = route(active, event_type, company)
            if len(self._routes) > 10_000:  # companies are open-ended: keep the cache bounded
                self._routes.clear()
        if not any(
            s.filter is not None or s.expires_at is not None or s.partner is not None for s in found
        ):
            return found
        return [
            s for s in found
            if (now is None or s.receives(now))
            and (s.filter is None or (data is not None and s.filter.test(data)))
            and self._partner_filter(s, data)
        ]  # fmt: skip

    def _partner_filter(self, s: Subscription, data: Mapping[str, Any] | None) -> bool:
        """The partner's fixed payload filter, which type and company left to the data."""
        allowance = self._allowances.get(s.partner) if s.partner is not None else None
        if allowance is None or allowance.filter is None:
            return True
        return data is not None and allowance.filter.test(data)


def example_type(subscription: Subscription, types: Iterable[str], asked: str | None) -> str | None:
    """The type a test event takes: the one asked for when the subscription takes it, else
    the first of ``types`` it takes (None: it takes none of them)."""
    taken = [t for t in types if any(type_matches(p, t) for p in subscription.events)]
    if asked is not None:
        return asked if asked in taken else None
    return taken[0] if taken else None
