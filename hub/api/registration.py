"""Subscriptions registered over the API: the request bodies low-code flows send, and how the
result is kept in the store.

One body serves Zapier REST Hooks, Power Automate / Logic Apps HTTP Webhook and plain clients::

    {"target_url": "https://hooks.zapier.com/...", "event": "order.shipped"}
    {"callbackUrl": "https://prod-12.westus.logic.azure.com/workflows/...", "events": ["order.*"]}
    {"url": "...", "events": ["order.*"], "company": "USMF", "filter": {"total": {"$gt": 100}},
     "headers": {"x-api-key": "..."}, "timeout": 10, "retry": {"schedule": [0, 60, 600]},
     "expiration_date": "2026-12-31T00:00:00Z", "description": "..."}

The target may be named ``target_url``, ``callbackUrl``, ``callback_url``, ``hub.callback`` or
``url``. Every problem is a ``422`` naming the field, at registration, never at delivery.
"""

from __future__ import annotations

import base64
import json
import re
import secrets as random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from hub.catalog import PATTERN, Catalog
from hub.clock import parse_rfc3339
from hub.config import Secret
from hub.errors import SchemaViolation, UnknownParameters, Violation
from hub.filters import parse_filter
from hub.ids import new_id
from hub.model import SubscriptionState
from hub.outbound.batching import parse_batch
from hub.outbound.retry import RetryPolicy
from hub.outbound.subscriptions import (
    TIMEOUT_BOUNDS,
    Subscription,
    content_mode_problem,
    default_content_mode,
    dispatch_problems,
    retry_policy,
    retry_problem,
)
from hub.signing import decode_secret
from hub.urls import url_problem

TARGET_KEYS = ("target_url", "callbackUrl", "callback_url", "hub.callback", "url")
FIELDS = {
    *TARGET_KEYS, "event", "events", "company", "filter", "headers", "timeout", "retry",
    "expiration_date", "description", "skip_validation", "secret", "rate_limit",
    "max_in_flight", "ordered", "batch", "content_mode",
}  # fmt: skip
# `active` is the admin's enable/disable, answered before the rest of a PATCH is read.
PATCHABLE = {"state", "events", "event", "company", "filter", "headers", "timeout", "retry",
             "expiration_date", "description", "rate_limit", "max_in_flight",
             "ordered", "batch", "content_mode", "active"}  # fmt: skip
DISPATCH = ("rate_limit", "max_in_flight", "ordered")
RESERVED_HEADERS = {"content-type", "content-length", "host", "user-agent", "transfer-encoding",
                    "connection", "webhook-id", "webhook-timestamp", "webhook-signature",
                    "webhook-request-origin"}  # fmt: skip
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
MAX_HEADERS = 20


def new_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(random.token_bytes(32)).decode()


class _Checker:
    """Collects every problem of a body before refusing it, so a flow author fixes all at once."""

    def __init__(self) -> None:
        self.problems: list[Violation] = []

    def fail(self, pointer: str, message: str) -> None:
        self.problems.append(Violation(pointer, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise SchemaViolation("the subscription is not valid", self.problems)

    def content_mode(self, raw: Any) -> str | None:
        problem = content_mode_problem(raw)
        if problem is not None:
            self.fail("/content_mode", problem)
            return None
        return None if raw is None else str(raw)

    def target(self, body: Mapping[str, Any]) -> str:
        named = [k for k in TARGET_KEYS if k in body]
        if len(named) != 1:
            self.fail("", f"name the target once, as one of {', '.join(TARGET_KEYS)}")
            return ""
        raw = body[named[0]]
        problem = url_problem(raw)
        if problem is not None:
            self.fail(f"/{named[0]}", problem)
            return ""
        return str(raw)

    def events(self, body: Mapping[str, Any], catalog: Catalog) -> tuple[str, ...]:
        raw = body.get("events", body.get("event"))
        key = "events" if "events" in body else "event"
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not items or len(items) > 50:
            self.fail(f"/{key}", "one event type or pattern, or a list of 1 to 50")
            return ()
        for index, pattern in enumerate(items):
            where = f"/{key}" if isinstance(raw, str) else f"/{key}/{index}"
            if not isinstance(pattern, str) or not PATTERN.match(pattern):
                self.fail(where, "an event type (order.shipped), a prefix pattern (order.*) or *")
            elif "*" not in pattern and pattern not in catalog:
                self.fail(where, f"{pattern!r} is not in the event catalog")
        return tuple(p for p in items if isinstance(p, str))

    def headers(self, raw: Any) -> dict[str, str]:
        if raw is None:
            return {}
        if not isinstance(raw, dict) or len(raw) > MAX_HEADERS:
            self.fail("/headers", f"an object of at most {MAX_HEADERS} header names to values")
            return {}
        for name, value in raw.items():
            if not HEADER_NAME.match(name) or name.lower() in RESERVED_HEADERS:
                self.fail(f"/headers/{name}", "not a header name the hub lets a subscription set")
            elif not isinstance(value, str) or len(value) > 1024 or "\n" in value or "\r" in value:
                self.fail(f"/headers/{name}", "a single-line string of at most 1024 characters")
        return {str(k).lower(): str(v) for k, v in raw.items()}

    def timeout(self, raw: Any) -> float | None:
        low, high = TIMEOUT_BOUNDS
        if raw is not None and (
            not isinstance(raw, int | float) or isinstance(raw, bool) or not low <= raw <= high
        ):
            self.fail("/timeout", f"seconds in {low:g}..{high:g}")
            return None
        return None if raw is None else float(raw)

    def retry(self, raw: Any) -> RetryPolicy:
        problem = retry_problem(raw)
        if problem is not None:
            self.fail("/retry", problem)
            return RetryPolicy()
        return retry_policy(raw)

    def expiry(self, raw: Any, now: float) -> float | None:
        if raw is None:
            return None
        try:
            when = parse_rfc3339(raw) if isinstance(raw, str) else None
        except ValueError:
            when = None
        if when is None or when <= now:
            self.fail("/expiration_date", "an RFC 3339 date-time in the future")
        return when

    def text(self, body: Mapping[str, Any], key: str, limit: int) -> str | None:
        raw = body.get(key)
        if raw is not None and (not isinstance(raw, str) or not 0 < len(raw) <= limit):
            self.fail(f"/{key}", f"a string of 1 to {limit} characters")
            return None
        return raw

    def filter(self, raw: Any) -> Any:
        if raw is None:
            return None
        try:
            return parse_filter(raw)
        except SchemaViolation as exc:
            self.problems += exc.violations
            return None


def _known(body: Mapping[str, Any], accepted: set[str]) -> None:
    """Raises: UnknownParameters, before anything else is checked (a 400, not a 422)."""
    unknown = sorted(set(body) - accepted)
    if unknown:
        raise UnknownParameters("field(s)", unknown, sorted(accepted))


def subscription_from_body(
    body: Mapping[str, Any],
    owner: str | None,
    catalog: Catalog,
    now: float,
    partner: str | None = None,
) -> tuple[Subscription, str]:
    """A new subscription (pending validation) and its signing secret, shown once.

    Raises:
        SchemaViolation: every problem with the body, each with its JSON pointer.
    """
    _known(body, FIELDS)
    check = _Checker()
    secret = body.get("secret") or new_secret()
    try:
        decode_secret(secret) if isinstance(secret, str) else None
    except ValueError:
        check.fail("/secret", "a whsec_ key (omit it and the hub makes one)")
    url = check.target(body)
    sub = Subscription(
        id=new_id("sub"),
        url=url,
        events=check.events(body, catalog),
        secrets=(Secret(str(secret)),),
        company=check.text(body, "company", 64),
        timeout=check.timeout(body.get("timeout")),
        retry=check.retry(body.get("retry")),
        origin="api",
        filter=check.filter(body.get("filter")),
        headers=check.headers(body.get("headers")),
        state=SubscriptionState.PENDING_VALIDATION,
        owner=owner,
        partner=partner,
        expires_at=check.expiry(body.get("expiration_date"), now),
        description=check.text(body, "description", 200),
        created_at=now,
        rate_limit=body.get("rate_limit"),
        max_in_flight=body.get("max_in_flight"),
        ordered=body.get("ordered") is True,
        batch=parse_batch(body.get("batch")),
        content_mode=check.content_mode(body.get("content_mode")) or default_content_mode(url),
    )
    for key, message in dispatch_problems(body):
        check.fail(f"/{key}", message)
    if not isinstance(body.get("skip_validation", False), bool):
        check.fail("/skip_validation", "true or false")
    check.raise_if_any()
    return sub, str(secret)


def patched(
    sub: Subscription, body: Mapping[str, Any], catalog: Catalog, now: float
) -> Subscription:
    """The subscription with a PATCH applied: its state (active, paused), filters and options.

    Raises:
        SchemaViolation: every problem with the body.
    """
    _known(body, PATCHABLE)
    check = _Checker()
    changes: dict[str, Any] = {}
    if "state" in body:
        if body["state"] not in ("active", "paused"):
            check.fail("/state", "active or paused")
        elif sub.state == SubscriptionState.PENDING_VALIDATION and body["state"] == "active":
            check.fail("/state", "the target has not consented yet: validate it first")
        else:
            changes["state"] = SubscriptionState(body["state"])
    if "events" in body or "event" in body:
        changes["events"] = check.events(body, catalog)
    if "filter" in body:
        changes["filter"] = check.filter(body["filter"])
    if "company" in body:
        changes["company"] = check.text(body, "company", 64)
    if "headers" in body:
        changes["headers"] = check.headers(body["headers"])
    if "timeout" in body:
        changes["timeout"] = check.timeout(body["timeout"])
    if "retry" in body:
        changes["retry"] = check.retry(body["retry"])
    if "expiration_date" in body:
        changes["expires_at"] = check.expiry(body["expiration_date"], now)
    if "description" in body:
        changes["description"] = check.text(body, "description", 200)
    for key, message in dispatch_problems(body):
        check.fail(f"/{key}", message)
    changes |= {key: body[key] for key in DISPATCH if key in body}
    if "batch" in body:
        changes["batch"] = parse_batch(body["batch"])
    if "content_mode" in body:
        changes["content_mode"] = check.content_mode(body["content_mode"]) or "cloudevents"
    check.raise_if_any()
    updated = replace(sub, **changes)
    if updated.ordered and updated.batch is not None:
        problem = Violation("/batch", "a batched subscription cannot also be ordered")
        raise SchemaViolation("the subscription is not valid", [problem])
    return updated


def rotated(sub: Subscription, grace: float, now: float) -> tuple[Subscription, str]:
    """A new secret first; the current one keeps signing for `grace` seconds, then stops."""
    secret = new_secret()
    current = sub.signing_secret(now)
    return replace(
        sub, secrets=(Secret(secret), current), secret_expires_at=(None, now + grace)
    ), secret


def to_document(sub: Subscription) -> str:
    """The stored form of an API subscription (secrets included: the hub signs with them)."""
    return json.dumps(
        {
            "id": sub.id, "url": sub.url, "events": list(sub.events),
            "secrets": [s.reveal() for s in sub.secrets],
            "secret_expires_at": list(sub.secret_expires_at), "company": sub.company,
            "timeout": sub.timeout,
            "retry": {"schedule": list(sub.retry.schedule), "jitter": sub.retry.jitter},
            "filter": sub.filter.source if sub.filter is not None else None,
            "headers": dict(sub.headers), "state": str(sub.state), "owner": sub.owner,
            "partner": sub.partner,
            "expires_at": sub.expires_at, "validated_by": sub.validated_by,
            "validation_note": sub.validation_note, "rate_limit": sub.rate_limit,
            "max_in_flight": sub.max_in_flight, "ordered": sub.ordered,
            "batch": {"size": sub.batch.size, "max_wait": sub.batch.max_wait}
            if sub.batch else None,
            "description": sub.description, "created_at": sub.created_at,
            "content_mode": sub.content_mode,
        }
    )  # fmt: skip


def from_document(doc: str) -> Subscription:
    raw = json.loads(doc)
    retry = raw["retry"]
    return Subscription(
        id=raw["id"], url=raw["url"], events=tuple(raw["events"]),
        secrets=tuple(Secret(s) for s in raw["secrets"]), company=raw["company"],
        timeout=raw["timeout"], retry=RetryPolicy(tuple(retry["schedule"]), retry["jitter"]),
        origin="api", filter=parse_filter(raw["filter"]) if raw["filter"] is not None else None,
        headers=raw["headers"], state=SubscriptionState(raw["state"]), owner=raw["owner"],
        partner=raw.get("partner"),
        expires_at=raw["expires_at"], secret_expires_at=tuple(raw["secret_expires_at"]),
        validated_by=raw["validated_by"], validation_note=raw.get("validation_note"),
        description=raw["description"], rate_limit=raw.get("rate_limit"),
        max_in_flight=raw.get("max_in_flight"), ordered=raw.get("ordered", False),
        batch=parse_batch(raw.get("batch")),
        created_at=raw["created_at"], content_mode=raw.get("content_mode", "cloudevents"),
    )  # fmt: skip
