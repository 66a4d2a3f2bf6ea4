"""The `standard` connector: Standard Webhooks-signed canonical events.

Body: ``{"type": "order.created", "timestamp": "<RFC 3339>", "data": {...}}``, optionally with
``subject`` and ``company``. Headers: ``webhook-id``, ``webhook-timestamp``,
``webhook-signature``, signed with ``HUB_CONNECTOR_STANDARD_SECRET``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from hub import signing
from hub.clock import parse_rfc3339
from hub.config import Secret
from hub.errors import InvalidSignature, SchemaViolation, Violation
from hub.inbound.connector import (
    BaseConnector,
    ConnectorConfig,
    InboundRequest,
    NormalizeContext,
    require_object,
)
from hub.model import CanonicalEvent


class StandardConnector(BaseConnector):
    """Accepts events already in canonical form, signed per Standard Webhooks."""

    name = "standard"

    def verify(self, request: InboundRequest, config: ConnectorConfig, tolerance: int) -> None:
        verify_standard(request, decoded_keys(config.secrets), tolerance)

    def dedup_key(self, request: InboundRequest, payload: Any) -> str | None:
        return request.headers.get("webhook-id")

    async def normalize(
        self, request: InboundRequest, payload: Any, context: NormalizeContext
    ) -> list[CanonicalEvent]:
        catalog = context.catalog
        payload = require_object(payload)
        if not _is_envelope(payload):
            raise SchemaViolation("body is not a canonical event envelope", _problems(payload))
        event_type = catalog.get(payload["type"])
        try:
            when = parse_rfc3339(payload["timestamp"])
        except ValueError:
            raise SchemaViolation(
                "timestamp is not RFC 3339",
                [Violation("/timestamp", "expected an RFC 3339 date-time with a zone")],
            ) from None
        data = payload["data"]
        return [
            CanonicalEvent(
                type=event_type.name,
                time=when,
                data=data,
                subject=payload.get("subject") or event_type.subject_of(data),
                company=payload.get("company") or _str_or_none(data.get("company")),
            )
        ]


@lru_cache(maxsize=64)
def decoded_keys(secrets: tuple[Secret, ...]) -> tuple[bytes, ...]:
    """Standard Webhooks keys (``whsec_`` + base64, or bare base64) as bytes.

    Cached: the configured secrets change only with a restart, and decoding them on every
    request cost 3 µs of it (measured).
    """
    keys = []
    for secret in secrets:
        try:
            keys.append(signing.decode_secret(secret.reveal()))
        except ValueError:
            continue  # a misconfigured secret can never match; `hub check` names it
    return tuple(keys)


def verify_standard(request: InboundRequest, keys: Sequence[bytes], tolerance: int) -> None:
    """Standard Webhooks verification of ``webhook-*`` headers over the raw body.

    Raises:
        InvalidSignature
    """
    if not keys:
        raise InvalidSignature("connector has no usable signing secret configured")
    signing.verify(keys, request.headers, request.body, request.received_at, tolerance)


def _is_envelope(payload: dict[str, Any]) -> bool:
    return (
        isinstance(payload.get("type"), str)
        and isinstance(payload.get("timestamp"), str)
        and isinstance(payload.get("data"), dict)
        and _optional_str(payload, "subject")
        and _optional_str(payload, "company")
    )


def _problems(payload: dict[str, Any]) -> list[Violation]:
    checks = (
        ("/type", isinstance(payload.get("type"), str), "type must be a string"),
        ("/timestamp", isinstance(payload.get("timestamp"), str), "timestamp is required"),
        ("/data", isinstance(payload.get("data"), dict), "data must be an object"),
        ("/subject", _optional_str(payload, "subject"), "subject must be a string"),
        ("/company", _optional_str(payload, "company"), "company must be a string"),
    )
    return [Violation(pointer, message) for pointer, ok, message in checks if not ok]


def _optional_str(payload: dict[str, Any], key: str) -> bool:
    return payload.get(key) is None or isinstance(payload[key], str)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


CONNECTOR = StandardConnector()
