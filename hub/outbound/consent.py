"""Target consent: a subscription receives nothing until its target consents.

Two handshakes are tried, as Azure Event Grid does:

1. The CloudEvents webhook abuse-protection handshake: ``OPTIONS`` with
   ``WebHook-Request-Origin``; consent is ``WebHook-Allowed-Origin`` naming that origin or ``*``.
2. An Event Grid-style validation event: a ``POST`` with ``aeg-event-type:
   SubscriptionValidation`` and a ``validationCode``, echoed back as
   ``{"validationResponse": "<code>"}`` with ``200``.

Low-code platforms answer neither, so their callback hosts (Zapier, Logic Apps, Power
Automate) are trusted by name; an admin may also skip validation per subscription.
"""

from __future__ import annotations

import fnmatch
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from hub.ids import new_id
from hub.urls import BadURL, parse_url

TRUSTED_HOSTS = ("hooks.zapier.com", "*.logic.azure.com", "*.api.powerplatform.com")


def trusted(url: str, patterns: Sequence[str]) -> bool:
    """True when the URL's host matches a trusted pattern (``*.logic.azure.com``) over https."""
    try:
        target = parse_url(url)
    except BadURL:
        return False
    return target.scheme == "https" and any(fnmatch.fnmatchcase(target.host, p) for p in patterns)


@dataclass(frozen=True)
class ConsentVerdict:
    """How the target consented (``cloudevents`` or ``code``), or None, and why."""

    method: str | None
    detail: str


def consent_headers(origin: str) -> dict[str, str]:
    return {"WebHook-Request-Origin": origin, "WebHook-Request-Rate": "120"}


def granted(allowed: str | None, origin: str) -> bool:
    return allowed is not None and allowed.strip() in (origin, "*")


def validation_event(code: str) -> bytes:
    return json.dumps(
        [{"id": new_id("val"), "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
          "subject": "", "data": {"validationCode": code}, "dataVersion": "1",
          "eventTime": "1970-01-01T00:00:00Z", "topic": "webhook-hub"}]
    ).encode()  # fmt: skip


async def handshake(
    client: httpx.AsyncClient, url: str, origin: str, wait: float
) -> ConsentVerdict:
    """Ask the target for consent; never raises for what the target does."""
    try:
        url = parse_url(url).text  # the same reading of the URL as delivery's
    except BadURL as exc:
        return ConsentVerdict(None, f"refused: {exc}")
    notes = []
    try:
        answer = await client.options(url, headers=consent_headers(origin), timeout=wait)
        if granted(answer.headers.get("webhook-allowed-origin"), origin):
            return ConsentVerdict("cloudevents", "granted WebHook-Allowed-Origin")
        notes.append(f"OPTIONS answered {answer.status_code} without WebHook-Allowed-Origin")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        notes.append(f"OPTIONS failed: {type(exc).__name__}: {str(exc)[:200]}")
    code = secrets.token_hex(16)
    try:
        headers = {"content-type": "application/json", "aeg-event-type": "SubscriptionValidation"}
        answer = await client.post(
            url, content=validation_event(code), headers=headers, timeout=wait
        )
        if answer.status_code == 200 and _echoed(answer.content, code):
            return ConsentVerdict("code", "echoed the validation code")
        notes.append(f"the validation event was answered {answer.status_code} without the code")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        notes.append(f"the validation event failed: {type(exc).__name__}: {str(exc)[:200]}")
    return ConsentVerdict(None, "; ".join(notes))


def _echoed(body: bytes, code: str) -> bool:
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return isinstance(doc, dict) and doc.get("validationResponse") == code
