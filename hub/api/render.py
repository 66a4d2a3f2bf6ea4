"""How the admin API shows stored records: one renderer per record, shared by every route."""

from __future__ import annotations

import base64
import json
from typing import Any

from hub.clock import rfc3339_or_none
from hub.model import Attempt, Delivery, Event, Receipt, Rejection


def render_event(e: Event) -> dict[str, Any]:
    return {
        "id": e.id,
        "type": e.type,
        "source": e.source,
        "connector": e.connector,
        "subject": e.subject,
        "company": e.company,
        "time": rfc3339_or_none(e.time),
        "received_at": rfc3339_or_none(e.received_at),
        "schema_version": e.schema_version,
        "data": json.loads(e.data_json),
    }


def render_delivery(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "event_id": d.event_id,
        "subscription_id": d.subscription_id,
        "event_type": d.event_type,
        "subject": d.subject,
        "status": str(d.status),
        "attempt_count": d.attempts,
        "next_attempt_at": rfc3339_or_none(d.next_attempt_at) if d.status == "pending" else None,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "created_at": rfc3339_or_none(d.created_at),
        "updated_at": rfc3339_or_none(d.updated_at),
    }


def render_attempt(a: Attempt) -> dict[str, Any]:
    return {
        "id": a.id,
        "attempted_at": rfc3339_or_none(a.attempted_at),
        "duration_ms": round(a.duration_ms, 3),
        "status_code": a.status_code,
        "response_body": a.response_body,
        "response_headers": a.response_headers,
        "error": a.error,
    }


def _body(raw: bytes) -> tuple[str, str]:
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode(), "base64"


def render_receipt(r: Receipt, with_body: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": r.id,
        "connector": r.connector,
        "sender_id": r.sender_id,
        "received_at": rfc3339_or_none(r.received_at),
        "status": str(r.status),
        "reason": r.reason,
        "event_ids": r.event_ids,
        "headers": r.headers,
        "body_size": len(r.body),
        "request_id": r.request_id,
    }
    if with_body:
        doc["body"], doc["body_encoding"] = _body(r.body)
    return doc


def render_rejection(r: Rejection) -> dict[str, Any]:
    body, encoding = _body(r.body)
    return {
        "id": r.id,
        "connector": r.connector,
        "received_at": rfc3339_or_none(r.received_at),
        "status": r.status,
        "reason": r.reason,
        "detail": r.detail,
        "errors": r.errors,
        "headers": r.headers,
        "body": body,
        "body_encoding": encoding,
        "body_size": r.body_size,
        "body_truncated": len(r.body) < r.body_size,
        "request_id": r.request_id,
    }
