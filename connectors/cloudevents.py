"""CloudEvents 1.0 over HTTP: any sender that speaks the CNCF standard.

Authenticity, per the CloudEvents HTTP webhook spec: ``Authorization: Bearer <token>`` or
``?access_token=<token>``, compared in constant time with the configured secrets. The
abuse-protection handshake (``OPTIONS`` with ``WebHook-Request-Origin``) is answered by the hub
for every connector; Event Grid's validation event is echoed.

All three HTTP modes are read: structured (``application/cloudevents+json``), batch
(``application/cloudevents-batch+json``, a JSON array) and binary (``ce-*`` headers, the body is
the data). An event whose ``type`` (less ``options.type_prefix``) is in the catalog becomes that
canonical event; any other is kept as ``hub.unmapped``. Repeats are recognised by ``source`` and
``id``. The ``company`` extension attribute, if present, names the company.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

from connectors._common import bearer, event_grid_validation, text, when
from hub.errors import InvalidParameter, InvalidSignature, SchemaViolation, Violation
from hub.inbound.connector import (
    BaseConnector,
    ConnectorConfig,
    InboundRequest,
    NormalizeContext,
    Reply,
    unmapped,
)
from hub.model import CanonicalEvent

REQUIRED = ("id", "source", "specversion", "type")
STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"


def media_type(request: InboundRequest) -> str:
    return (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()


def header_value(raw: str, name: str) -> str:
    """A percent-encoded binary-mode header value, decoded; invalid UTF-8 is refused."""
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidParameter(f"header {name} is not valid percent-encoded UTF-8") from None


def events_of(request: InboundRequest, payload: Any) -> list[dict[str, Any]]:
    """The CloudEvents of a request in any mode, checked for the required attributes.

    Raises:
        SchemaViolation: an event lacks a required attribute or is not an object.
    """
    kind = media_type(request)
    if kind == BATCH or (kind != STRUCTURED and isinstance(payload, list)):
        items = payload if isinstance(payload, list) else [payload]
        places = [f"/{i}/" for i in range(len(items))]
    elif kind == STRUCTURED:
        items, places = [payload], ["/"]
    else:  # binary mode: attributes in ce-* headers, the body is the data
        attributes = {
            name[3:]: header_value(value, name)
            for name, value in request.headers.items()
            if name.startswith("ce-")
        }
        items, places = [attributes | {"datacontenttype": kind, "data": payload}], ["/headers/ce-"]
    problems = []
    for item, place in zip(items, places, strict=True):
        problems += _problems(item, place)
    if problems:
        raise SchemaViolation("not a valid CloudEvents 1.0 request", problems)
    return items


def _problems(item: Any, place: str) -> list[Violation]:
    if not isinstance(item, dict):
        return [Violation(place.rstrip("/") or "/", "a CloudEvent must be a JSON object")]
    found = [
        Violation(place + attribute, f"required attribute {attribute} is missing")
        for attribute in REQUIRED
        if not isinstance(item.get(attribute), str) or not item[attribute]
    ]
    if isinstance(item.get("specversion"), str) and item["specversion"] not in ("", "1.0"):
        found.append(Violation(place + "specversion", "only CloudEvents 1.0 is read"))
    return found


class CloudEventsConnector(BaseConnector):
    name = "cloudevents"

    def check_options(self, options: Mapping[str, Any]) -> list[str]:
        problems = [f"unknown option {k!r}" for k in options if k != "type_prefix"]
        if not isinstance(options.get("type_prefix", ""), str):
            problems.append("type_prefix is a string, e.g. com.example.")
        return problems

    def verify(self, request: InboundRequest, config: ConnectorConfig, tolerance: int) -> None:
        presented = bearer(request) or request.query.get("access_token")
        expected = [s.reveal().encode() for s in config.secrets if s.reveal()]
        if not expected:
            raise InvalidSignature("connector 'cloudevents' has no token configured")
        if not presented:
            raise InvalidSignature("send Authorization: Bearer <token> or ?access_token=")
        if not any(hmac.compare_digest(presented.encode(), e) for e in expected):
            raise InvalidSignature("the token is not valid")

    def handshake(self, request: InboundRequest, payload: Any) -> Reply | None:
        return event_grid_validation(request, payload)

    def dedup_key(self, request: InboundRequest, payload: Any) -> str | None:
        try:
            items = events_of(request, payload)
        except (SchemaViolation, InvalidParameter):
            return None
        keys = sorted(f"{e['source']}\n{e['id']}" for e in items)
        return keys[0] if len(keys) == 1 else hashlib.sha256("\n\n".join(keys).encode()).hexdigest()

    async def normalize(
        self, request: InboundRequest, payload: Any, context: NormalizeContext
    ) -> list[CanonicalEvent]:
        prefix = str(context.config.options.get("type_prefix", ""))
        found = []
        for item in events_of(request, payload):
            at = when(item.get("time"), default=request.received_at)
            name = item["type"].removeprefix(prefix) if prefix else item["type"]
            data = item.get("data")
            if name not in context.catalog or not isinstance(data, dict) or name.startswith("hub."):
                reason = f"type {item['type']!r} is not a catalog event with JSON object data"
                found.append(unmapped(self.name, item["type"], reason, item, at))
                continue
            subject = text(item.get("subject")) or context.catalog.get(name).subject_of(data)
            found.append(CanonicalEvent(name, at, data, subject, text(item.get("company"))))
        return found


CONNECTOR = CloudEventsConnector()
