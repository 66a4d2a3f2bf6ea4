"""`subscriptions.yaml`: the static subscriptions, read once at start-up (``HUB_SUBSCRIPTIONS``).

::

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

Every problem in the file is reported at once, each naming the file, the line and the entry
(``subscriptions.yaml:12: subscription 'erp': url: ...``). `hub check` reports a secret whose
``env:`` variable is unset as a warning; `hub serve` refuses to start without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hub.catalog import PATTERN, Catalog
from hub.config import Secret
from hub.errors import ConfigError
from hub.outbound.batching import parse_batch
from hub.outbound.subscriptions import (
    SUBSCRIPTION_ID,
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
from hub.yamlfile import load, refuse, where

KEYS = {"id", "url", "events", "company", "secret", "timeout", "retry", "rate_limit",
        "max_in_flight", "ordered", "batch", "content_mode", "description"}  # fmt: skip
DESCRIPTION_MAX = 200  # as the API allows
# Signs nothing anyone sees: it stands in for a secret whose variable `hub check` found unset.
PLACEHOLDER = "whsec_" + "A" * 43 + "="


class _Entry:
    """One entry's checks, each problem kept rather than raised, so all are reported at once."""

    def __init__(self, place: str, label: str) -> None:
        self.place, self.label = place, label
        self.problems: list[str] = []

    def fail(self, message: str) -> None:
        self.problems.append(f"{self.place}: {self.label}: {message}")


def _secret(raw: Any, env: Mapping[str, str], entry: _Entry, warnings: list[str] | None) -> Secret:
    if not isinstance(raw, str) or not raw:
        entry.fail("secret is required (a whsec_ key or env:VARIABLE)")
        return Secret(PLACEHOLDER)
    if raw.startswith("env:"):
        name = raw[4:]
        if not env.get(name):
            message = f"secret refers to environment variable {name}, which is not set"
            if warnings is None:
                entry.fail(message)
            else:
                warnings.append(f"{entry.place}: {entry.label}: {message}")
            return Secret(PLACEHOLDER)
        raw = env[name]
    try:
        decode_secret(raw)
    except ValueError as exc:
        # The message never repeats the value: it may be a real secret with a typo.
        entry.fail(f"secret is not a valid whsec_ key ({exc})")
        return Secret(PLACEHOLDER)
    return Secret(raw)


def _events(raw: Any, catalog: Catalog, entry: _Entry) -> tuple[str, ...]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items:
        entry.fail("events must list at least one type or pattern")
        return ()
    for pattern in items:
        if not isinstance(pattern, str) or not PATTERN.match(pattern):
            entry.fail(f"{pattern!r} is not an event type or pattern")
        elif "*" not in pattern and pattern not in catalog:
            entry.fail(f"event type {pattern!r} is not in the catalog")
    return tuple(p for p in items if isinstance(p, str))


def _timeout(raw: Any, entry: _Entry) -> float | None:
    low, high = TIMEOUT_BOUNDS
    if raw is not None and (
        isinstance(raw, bool) or not isinstance(raw, int | float) or not low <= raw <= high
    ):
        entry.fail(f"timeout must be a number of seconds in {low:g}..{high:g}")
        return None
    return None if raw is None else float(raw)


def parse_entry(
    raw: Any,
    index: int,
    env: Mapping[str, str],
    catalog: Catalog,
    path: Path,
    warnings: list[str] | None = None,
) -> tuple[Subscription | None, list[str]]:
    """One entry checked: the subscription (None when it has problems) and every problem."""
    if not isinstance(raw, dict):
        return None, [f"{where(path, raw)}: entry #{index + 1}: must be a mapping"]
    sub_id = raw.get("id")
    label = f"subscription {sub_id!r}" if isinstance(sub_id, str) else f"entry #{index + 1}"
    entry = _Entry(where(path, raw), label)
    if not isinstance(sub_id, str) or not SUBSCRIPTION_ID.match(sub_id):
        entry.fail("id must be 1-64 letters, digits, '.', '_' or '-'")
    unknown = sorted(map(str, set(raw) - KEYS))
    if unknown:
        entry.fail(f"unknown key(s): {', '.join(unknown)}")
    company = raw.get("company")
    if company is not None and not isinstance(company, str):
        entry.fail("company must be a string")
    description = raw.get("description")
    if description is not None and (
        not isinstance(description, str) or not 0 < len(description) <= DESCRIPTION_MAX
    ):
        entry.fail(f"description must be text of 1-{DESCRIPTION_MAX} characters")
    problem = url_problem(raw.get("url"))
    if problem is not None:
        entry.fail(f"url: {problem}")
    for key, message in dispatch_problems(raw):
        entry.fail(f"{key}: {message}")
    retry = retry_problem(raw.get("retry"))
    if retry is not None:
        entry.fail(retry)
    mode = content_mode_problem(raw.get("content_mode"))
    if mode is not None:
        entry.fail(f"content_mode: {mode}")
    sub = Subscription(
        id=str(sub_id),
        url=str(raw.get("url")),
        events=_events(raw.get("events"), catalog, entry),
        secrets=(_secret(raw.get("secret"), env, entry, warnings),),
        company=company if isinstance(company, str) else None,
        timeout=_timeout(raw.get("timeout"), entry),
        retry=retry_policy(raw.get("retry")) if retry is None else retry_policy(None),
        rate_limit=raw.get("rate_limit"),
        max_in_flight=raw.get("max_in_flight"),
        ordered=raw.get("ordered") is True,
        batch=parse_batch(raw.get("batch")) if not dispatch_problems(raw) else None,
        content_mode=str(raw.get("content_mode") or default_content_mode(str(raw.get("url")))),
        description=description if isinstance(description, str) else None,
    )
    return (None if entry.problems else sub), entry.problems


def load_subscriptions(
    path: Path, env: Mapping[str, str], catalog: Catalog, warnings: list[str] | None = None
) -> list[Subscription]:
    """Read and validate the subscriptions file; a missing file means no static subscriptions.

    Args:
        warnings: when given (`hub check`), an unset ``env:`` secret is reported there
            instead of refused.

    Raises:
        ConfigError: listing every problem in the file, each with its line.
    """
    if not path.exists():
        return []
    doc = load(path, "subscriptions")
    if doc is None:
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get("subscriptions", []), list):
        raise ConfigError(f"{path}: expected a mapping with a 'subscriptions' list")
    found: dict[str, Subscription] = {}
    problems: list[str] = []
    for index, raw in enumerate(doc.get("subscriptions") or []):
        sub, found_problems = parse_entry(raw, index, env, catalog, path, warnings)
        problems += found_problems
        if sub is None:
            continue
        if sub.id in found:
            problems.append(f"{where(path, raw)}: subscription {sub.id!r}: id is repeated")
            continue
        found[sub.id] = sub
    refuse(problems)
    return list(found.values())
