"""CloudEvents 1.0 over HTTP: any sender that speaks the CNCF standard.

Authenticity, per the CloudEvents HTTP webhook spec: ``Authorization: Bearer <token>`` or
``?access_token=<token>``, compared in constant time with the configured secrets. The
abuse-protection handshake (``OPTIONS`` with ``WebHook-Request-Origin``) is answered by the hub
for every connector; Event Grid's validation event is echoed.

All three HTTP modes are read: structured (``application/cloudevents+json``), batch
(``application/cloudevents-batch+json``, a JSON array) and binary (``ce-*`` headers, the body is
the data, of any media type: JSON is parsed, text is kept as text, anything else as
``data_base64``; a JSON array in binary mode is one event whose data is an array). Every event is
checked against the attribute rules of CloudEvents 1.0.2 (`problems`) before anything else, so
an invalid event is refused with a 400 naming the attribute and the rule, never answered as a
repeat of a valid one. An event whose ``type`` (less ``options.type_prefix``) is in the catalog
and whose data is a JSON object becomes that canonical event; any other is kept as
``hub.unmapped`` with its data unchanged. Repeats are recognised by ``source`` and ``id``. The
``company`` extension attribute, if present, names the company.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote_to_bytes

from connectors._common import bearer, event_grid_validation, text, when
from hub.errors import InvalidEnvelope, InvalidParameter, InvalidSignature, Violation
from hub.inbound.connector import (
    BaseConnector,
    ConnectorConfig,
    InboundRequest,
    NormalizeContext,
    Reply,
    is_json_media_type,
    unmapped,
)
from hub.jsontext import parse_json
from hub.model import CanonicalEvent

REQUIRED = ("id", "source", "specversion", "type")
STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
MEMBERS = ("data", "data_base64")  # members of the JSON form that are not attributes
INT32 = (-(2**31), 2**31 - 1)
_NAME = re.compile(r"^[a-z0-9]+$")
_TOKEN = r"[A-Za-z0-9!#$&^_.+-]+"
_MEDIA_TYPE = re.compile(
    rf'^{_TOKEN}/{_TOKEN}(\s*;\s*{_TOKEN}=({_TOKEN}|"[^"\\]*(\\.[^"\\]*)*"))*\s*$'
)
_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$"
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_TEXT_TYPES = ("text/", "application/xml", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class RawData:
    """A binary-mode body that is not JSON: the data, as sent."""

    body: bytes


# The attribute rules of the spec, as pure functions ----------------------------------------


def rfc3339(value: str) -> bool:
    """An RFC 3339 date-time: seconds present, a ``Z`` or ``±hh:mm`` offset within range."""
    match = _TIME.match(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    if match.group(9) and not (int(match.group(10)) <= 23 and int(match.group(11)) <= 59):
        return False
    try:  # a leap second (60) is valid RFC 3339; datetime only knows 59
        datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    return second <= 60


def uri_reference(value: str) -> bool:
    """A plausible RFC 3986 URI-reference: no whitespace or controls, escapes well formed."""
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return False
    return re.search(r"%(?![0-9A-Fa-f]{2})", value) is None


def source_reference(value: str) -> bool:
    """A URI-reference, or an IRI once its disallowed characters are percent-encoded.

    Senders name their systems as people do (``urn:nordwind:crm süd``), and the HTTP binding
    percent-encodes such a value in ``ce-source``; refusing it would lose the event. What is
    kept out: control characters (C0, DEL, C1), never part of a name and a way to forge log
    lines, and a ``%`` that starts no escape.
    """
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value):
        return False
    return re.search(r"%(?![0-9A-Fa-f]{2})", value) is None


def base64_text(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _media_type(value: str) -> bool:
    return _MEDIA_TYPE.match(value) is not None


def _absolute_uri(value: str) -> bool:
    return uri_reference(value) and _SCHEME.match(value) is not None


# The core attributes of string type with a rule beyond being a non-empty string.
RULES: dict[str, tuple[Callable[[str], bool], str]] = {
    "specversion": (lambda v: v == "1.0", "specversion must be 1.0"),
    "source": (source_reference, "source must be a URI-reference or an IRI"),
    "time": (rfc3339, "time must be an RFC 3339 date-time with seconds and an offset"),
    "datacontenttype": (_media_type, "datacontenttype must be an RFC 2046 type/subtype"),
    "dataschema": (_absolute_uri, "dataschema must be an absolute URI"),
}


def _string_rule(name: str, value: Any) -> str | None:
    """What the spec says of a string-typed core attribute that is present."""
    if not isinstance(value, str):
        return f"{name} must be a string"
    if value == "":
        return f"{name} must not be empty"
    check, message = RULES.get(name, (lambda v: True, ""))
    return None if check(value) else message


def _extension_rule(name: str, value: Any) -> str | None:
    """Extensions take the spec's types: string (URI, timestamp, binary), boolean, integer."""
    if isinstance(value, bool | str):
        return None
    if isinstance(value, int):
        low, high = INT32
        return None if low <= value <= high else f"{name} must be an integer within 32 bits"
    kind = "a number with a fraction" if isinstance(value, float) else type(value).__name__
    return f"{name} is {kind}; an attribute is a string, boolean or integer"


CORE = ("id", "source", "specversion", "type", "subject", "time", "datacontenttype", "dataschema")


def problems(event: Any, place: str) -> list[Violation]:
    """Every way an event breaks the attribute rules of CloudEvents 1.0.2; empty when valid.

    A ``null`` attribute counts as absent, as the JSON format says.
    """
    if not isinstance(event, dict):
        return [Violation(place.rstrip("/") or "/", "a CloudEvent must be a JSON object")]
    found = []
    for name, value in event.items():
        if name in MEMBERS or value is None:
            continue
        if not _NAME.match(name):
            found.append(Violation(place + name, "attribute names are a-z and 0-9 only"))
            continue
        rule = _string_rule(name, value) if name in CORE else _extension_rule(name, value)
        if rule is not None:
            found.append(Violation(place + name, rule))
    found += [
        Violation(place + name, f"required attribute {name} is missing")
        for name in REQUIRED
        if event.get(name) is None
    ]
    if event.get("data") is not None and event.get("data_base64") is not None:
        found.append(Violation(place + "data_base64", "an event carries data or data_base64"))
    encoded = event.get("data_base64")
    if encoded is not None and not (isinstance(encoded, str) and base64_text(encoded)):
        found.append(Violation(place + "data_base64", "data_base64 must be base64 text"))
    return found


# Reading the three HTTP modes ---------------------------------------------------------------


def media_type(request: InboundRequest) -> str:
    return (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()


def binary_mode(request: InboundRequest) -> bool:
    """Attributes in ``ce-*`` headers, whatever the content type, unless it names a format."""
    return media_type(request) not in (STRUCTURED, BATCH) and any(
        name.startswith("ce-") for name in request.headers
    )


def header_value(raw: str, name: str) -> str:
    """A percent-encoded binary-mode header value, decoded; invalid UTF-8 is refused."""
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidParameter(f"header {name} is not valid percent-encoded UTF-8") from None


def binary_data(body: bytes, content_type: str) -> dict[str, Any]:
    """A non-JSON body as the JSON form carries it: text as ``data``, else ``data_base64``."""
    if not body:
        return {}
    media = content_type.split(";", 1)[0].strip().lower()
    if media.startswith(_TEXT_TYPES) or media.endswith("+xml"):
        try:
            return {"data": body.decode("utf-8")}
        except UnicodeDecodeError:
            pass
    return {"data_base64": base64.b64encode(body).decode("ascii")}


def _binary_event(request: InboundRequest, payload: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        name[3:]: header_value(value, name)
        for name, value in request.headers.items()
        if name.startswith("ce-")
    }
    content_type = request.headers.get("content-type")
    if content_type is not None:
        event["datacontenttype"] = content_type
    if isinstance(payload, RawData):
        return event | binary_data(payload.body, content_type or "")
    return event | {"data": payload}


def events_of(request: InboundRequest, payload: Any) -> list[dict[str, Any]]:
    """The CloudEvents of a request in any mode, in the JSON form, checked against the spec.

    Raises:
        InvalidEnvelope: an event breaks the attribute rules, each problem by its pointer.
        InvalidParameter: a binary-mode header is not percent-encoded UTF-8.
    """
    kind = media_type(request)
    if binary_mode(request):
        items, places = [_binary_event(request, payload)], ["/headers/ce-"]
    elif kind == BATCH or (kind != STRUCTURED and isinstance(payload, list)):
        items = payload if isinstance(payload, list) else [payload]
        places = [f"/{i}/" for i in range(len(items))]
    else:
        items, places = [payload], ["/"]
    found = []
    for item, place in zip(items, places, strict=True):
        found += problems(item, place)
    if found:
        raise InvalidEnvelope("not a valid CloudEvents 1.0 request", found)
    return items


class CloudEventsConnector(BaseConnector):
    name = "cloudevents"

    def check_options(self, options: Mapping[str, Any]) -> list[str]:
        found = [f"unknown option {k!r}" for k in options if k != "type_prefix"]
        if not isinstance(options.get("type_prefix", ""), str):
            found.append("type_prefix is a string, e.g. com.example.")
        return found

    def accepts(self, request: InboundRequest) -> bool:
        # Binary mode carries the data as it is: XML, text, an octet stream, or nothing.
        return binary_mode(request) or super().accepts(request)

    def parse(self, request: InboundRequest) -> Any:
        if binary_mode(request) and (
            not request.body or not is_json_media_type(request.headers.get("content-type", ""))
        ):
            return RawData(request.body)
        return parse_json(request.body)

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

    def check(self, request: InboundRequest, payload: Any) -> None:
        events_of(request, payload)

    def dedup_key(self, request: InboundRequest, payload: Any) -> str | None:
        keys = sorted(f"{e['source']}\n{e['id']}" for e in events_of(request, payload))
        if not keys:
            return None
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
