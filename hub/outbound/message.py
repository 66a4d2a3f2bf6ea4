"""The outbound message: a CloudEvents 1.0 structured JSON document, signed per Standard Webhooks.

The body is built from stored fields only, so every retry and replay of an event sends the
same bytes under the same ``webhook-id`` (the event id), and receivers can drop duplicates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson

from hub import __version__
from hub.catalog import EventType
from hub.clock import to_rfc3339
from hub.ids import new_id
from hub.jsontext import dump_json
from hub.model import Event
from hub.outbound.subscriptions import Subscription
from hub.signing import signature_header

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
BATCH_CONTENT_TYPE = "application/cloudevents-batch+json; charset=utf-8"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"  # content_mode: json, one or a batch
USER_AGENT = f"webhook-hub/{__version__}"


def schema_uri(event_type: str, version: str) -> str:
    """The ``dataschema`` of an event: the ``$id`` of its catalog schema."""
    return f"urn:webhook-hub:schema:{event_type}:{version}"


def envelope(event: Event) -> bytes:
    """Serialize an event as a CloudEvents structured-mode JSON document.

    Extensions: ``company`` (company or legal entity) and ``schemaversion`` (major.minor).
    """
    head: dict[str, str] = {
        "specversion": "1.0",
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "time": to_rfc3339(event.time),
        "datacontenttype": "application/json",
    }
    if event.subject is not None:
        head["subject"] = event.subject
    if event.schema_version is not None:
        head["dataschema"] = schema_uri(event.type, event.schema_version)
        head["schemaversion"] = event.schema_version
    if event.company is not None:
        head["company"] = event.company
    # The stored data is spliced in as-is: no re-serialization, so large ids stay exact.
    return orjson.dumps(head)[:-1] + b',"data":' + event.data_json.encode() + b"}"


def batch(events: Sequence[Event]) -> tuple[str, bytes]:
    """A CloudEvents JSON batch and its message id.

    The id is derived from the event ids, so a retry of the same batch carries the same
    ``webhook-id`` and receivers can drop it as a repeat.
    """
    ids = ",".join(sorted(e.id for e in events))
    msg_id = "bat_" + hashlib.sha256(ids.encode()).hexdigest()[:32]
    return msg_id, b"[" + b",".join(envelope(e) for e in events) + b"]"


def headers(
    keys: Sequence[bytes],
    msg_id: str,
    timestamp: int,
    body: bytes,
    content_type: str = CONTENT_TYPE,
) -> dict[str, str]:
    """The headers of one attempt; the timestamp is the send time, so it changes per attempt."""
    return {
        "content-type": content_type,
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(keys, msg_id, timestamp, body),
    }


def signed_request(
    events: Sequence[Event], subscription: Subscription, now: float, send_time: int, origin: str
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt at a subscription: a batch when it batches, the
    content type its mode asks for, its own headers, signed with the keys valid ``now``."""
    if subscription.batch is not None:
        msg_id, body = batch(events)
        content_type = BATCH_CONTENT_TYPE
    else:
        msg_id, body = events[0].id, envelope(events[0])
        content_type = CONTENT_TYPE
    if subscription.content_mode == "json":
        content_type = JSON_CONTENT_TYPE
    keys = subscription.signing_keys(now)
    signed = headers(keys, msg_id, send_time, body, content_type)
    sent = {**subscription.headers, **signed}
    if subscription.validated_by == "cloudevents":
        sent["webhook-request-origin"] = origin
    return body, sent


MASKED = "[masked]"


def headers_as_sent(
    subscription: Subscription | None, event_id: str, sent_at: float
) -> dict[str, str]:
    """The headers an attempt carried, as a delivery's page shows them: the signature's value
    is not kept (a new one is made per attempt), a subscription's own values are masked (they
    often carry credentials), and a batched attempt's id was its batch's."""
    if subscription is not None and subscription.batch is not None:
        content_type, msg_id = BATCH_CONTENT_TYPE, "bat_… (the id of its batch)"
    else:
        content_type, msg_id = CONTENT_TYPE, event_id
    if subscription is not None and subscription.content_mode == "json":
        content_type = JSON_CONTENT_TYPE
    own = {name: MASKED for name in sorted(subscription.headers)} if subscription else {}
    return own | {
        "content-type": content_type,
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(sent_at)),
        "webhook-signature": "v1,… (not kept: made for each attempt)",
    }


def example_event(event_type: EventType, company: str | None, now: float) -> Event:
    """A test event: the catalog's example of a type, from ``/hub/test``, never stored."""
    data = event_type.example
    subject = event_type.subject_of(data) if isinstance(data, dict) else None
    return Event(
        id=new_id("evt"), type=event_type.name, source="/hub/test", connector="hub", time=now,
        received_at=now, data_json=dump_json(data), subject=subject, company=company,
        schema_version=event_type.version,
    )  # fmt: skip


def message_schema(event_type: EventType) -> dict[str, Any]:
    """The JSON Schema (2020-12) of the whole delivered message: the envelope `envelope`
    writes, with the type's data schema in `data`. One message, as `content_mode` json or
    cloudevents sends it (a batch is an array of these)."""
    name, version = event_type.name, event_type.version
    data = {k: v for k, v in event_type.schema.items()
            if k not in ("$schema", "$id") and not k.startswith("x-")}  # fmt: skip
    text = {"type": "string"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:webhook-hub:message:{name}:{version}",
        "title": f"{name} message",
        "description": f"A CloudEvents 1.0 message as the hub delivers it, carrying {name} "
        f"{version} in data. {event_type.description}".strip(),
        "type": "object",
        "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "data"],
        "properties": {
            "specversion": {"const": "1.0", "description": "CloudEvents version"},
            "id": {
                **text,
                "description": "The event id; also the webhook-id header, the same "
                "on every retry and replay",
            },
            "source": {
                **text,
                "description": "Where the event came from, e.g. /connectors/shopify",
            },
            "type": {"const": name, "description": "The event type"},
            "time": {
                **text,
                "format": "date-time",
                "description": "When it happened at the source",
            },
            "datacontenttype": {"const": "application/json"},
            "subject": {**text, "description": "What it is about, e.g. order/1001"},
            "dataschema": {"const": schema_uri(name, version)},
            "schemaversion": {"const": version, "description": "The data's schema version"},
            "company": {**text, "description": "Company or legal entity"},
            "data": data,
        },
    }
