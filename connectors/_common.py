"""Small pure helpers the vendor mappings share: text, money, times, addresses, references.

Vendors send ids as numbers wider than 2^53 (Shopify), money as floats (Dynamics 365) and
times in five dialects; canonical events carry ids and money as exact strings and times as
RFC 3339.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any

from hub.errors import InvalidSignature
from hub.inbound.connector import ConnectorConfig, InboundRequest, Reply, usable_keys

_MS_DATE = re.compile(r"^\\?/Date\((-?\d+)([+-]\d{4})?\)\\?/$")


def text(value: Any) -> str | None:
    """A non-empty string, or None. Integers stay exact (``820982911946154508``)."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    result = str(value).strip()
    return result or None


def compact(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields whose value is not None, "" or an empty container."""
    return {k: v for k, v in fields.items() if v is not None and v != "" and v != [] and v != {}}


def money(value: Any) -> str | None:
    """A decimal string from a vendor amount (string, int or float), or None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        # str() first: a float such as 1250.5 becomes "1250.5", not its binary expansion.
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return format(amount, "f") if amount.is_finite() else None


def currency(value: Any) -> str | None:
    code = text(value)
    return code.upper() if code and re.fullmatch(r"[A-Za-z]{3}", code) else None


def country(value: Any) -> str | None:
    code = text(value)
    return code.upper() if code and re.fullmatch(r"[A-Za-z]{2}", code) else None


def ms_date(value: Any) -> datetime | None:
    """A WCF / MS-AJAX date, ``/Date(1637246655000)/`` or ``\\/Date(1506409448000-0700)\\/``.

    The milliseconds are UTC; the offset only says which zone the writer was in.
    """
    match = _MS_DATE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    return _from_unix(int(match.group(1)) / 1000)


def _from_unix(seconds: float) -> datetime | None:
    # A hostile or broken sender's 1e300 must not crash the mapping: it is simply not a time.
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def instant(value: Any) -> datetime | None:
    """An aware datetime from ISO 8601 (zone-less means UTC, as Xero sends), MS-AJAX or Unix
    seconds; None for anything else."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_unix(value)
    if not isinstance(value, str) or not value:
        return None
    found = ms_date(value)
    if found is not None:
        return found
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:  # RFC 2822, as BigCommerce's v2 API writes dates
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def rfc3339(value: Any) -> str | None:
    """An RFC 3339 string for a vendor time, keeping its offset; None if it is not one."""
    found = instant(value)
    if found is None:
        return None
    text_form = found.isoformat()
    return (
        text_form.replace("+00:00", "Z") if found.utcoffset() == UTC.utcoffset(None) else text_form
    )


def day(value: Any) -> str | None:
    """An ISO date (``2022-12-30``) from a vendor date or time."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    found = instant(value)
    return None if found is None else found.date().isoformat()


def when(*candidates: Any, default: float) -> float:
    """Unix seconds of the first candidate that parses as a time, else the default."""
    for candidate in candidates:
        found = instant(candidate)
        if found is not None:
            return found.timestamp()
    return default


def references(**systems: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """``{"shopify": {"order_id": "8209…"}}`` without empty values or empty systems."""
    found: dict[str, dict[str, str]] = {}
    for system, ids in systems.items():
        kept = {kind: t for kind, value in ids.items() if (t := text(value)) is not None}
        if kept:
            found[system] = kept
    return found


def header(request: InboundRequest, *names: str) -> str | None:
    """The first of the headers present (names are lower-case), stripped."""
    for name in names:
        value = request.headers.get(name)
        if value is not None and value.strip():
            return value.strip()
    return None


def hmac_sha256(key: bytes, body: bytes) -> bytes:
    return hmac.digest(key, body, hashlib.sha256)


def path(data: Any, *keys: str | int) -> Any:
    """``data[k1][k2]...`` or None where any step is missing or of the wrong kind."""
    for key in keys:
        if isinstance(key, int):
            if not isinstance(data, list) or not -len(data) <= key < len(data):
                return None
        elif not isinstance(data, dict):
            return None
        data = data[key] if isinstance(key, int) else data.get(key)
    return data


def presented_key(
    request: InboundRequest, header_names: tuple[str, ...], query_names: tuple[str, ...]
) -> str | None:
    """A shared key sent in a header or a query parameter (``?code=``), whichever is present."""
    found = header(request, *header_names)
    if found is None:
        found = next((request.query[q] for q in query_names if request.query.get(q)), None)
    return found


def bearer(request: InboundRequest) -> str | None:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def obj(value: Any) -> dict[str, Any]:
    """The value if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def array(value: Any) -> list[Any]:
    """The value if it is a JSON array, else an empty one (``x or []`` fails on a number)."""
    return value if isinstance(value, list) else []


def check_shared_key(request: InboundRequest, config: ConnectorConfig) -> None:
    """Authenticate by a shared key in a header or the query (``?code=`` as Azure Functions).

    ``options.header`` and ``options.query`` name where it travels; by default
    ``x-functions-key`` or ``code``. The key is compared in constant time with each secret.

    Raises:
        InvalidSignature
    """
    header_name = str(config.options.get("header", "x-functions-key")).lower()
    query_name = str(config.options.get("query", "code"))
    presented = presented_key(request, (header_name,), (query_name,))
    expected = [s.reveal().encode() for s in config.secrets if s.reveal()]
    if not expected:
        raise InvalidSignature(f"connector {config.name!r} has no secret configured")
    if presented is None:
        raise InvalidSignature(
            f"no key in the {header_name} header or the ?{query_name}= parameter"
        )
    if not any(hmac.compare_digest(presented.encode(), e) for e in expected):
        raise InvalidSignature("the key is not valid")


SHARED_KEY_OPTIONS = ("header", "query")


def event_grid_validation(request: InboundRequest, payload: Any) -> Reply | None:
    """Azure Event Grid's subscription validation: echo the code, synchronously, with 200."""
    if (request.headers.get("aeg-event-type") or "").lower() != "subscriptionvalidation":
        return None
    first = payload[0] if isinstance(payload, list) and payload else {}
    code = path(first, "data", "validationCode")
    if not isinstance(code, str) or not code:
        return None
    body = json.dumps({"validationResponse": code}).encode()
    return Reply(200, body, "application/json")


def check_base64_hmac(request: InboundRequest, config: ConnectorConfig, *names: str) -> None:
    """Shopify, QuickBooks and Xero: the first header present carries the base64
    HMAC-SHA256 of the raw body, keyed with one of the configured secrets.

    Raises:
        InvalidSignature
    """
    presented = header(request, *names)
    if presented is None:
        raise InvalidSignature(f"{names[0]} header is missing")
    try:
        digest = base64.b64decode(presented, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSignature(f"{names[0]} is not base64") from None
    expected = [hmac_sha256(key, request.body) for key in usable_keys(config)]
    if not any(hmac.compare_digest(e, digest) for e in expected):
        raise InvalidSignature(f"{names[0]} does not match the body")
