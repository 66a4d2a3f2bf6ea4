"""The OpenAPI 3.1 document of every route, served at ``/openapi.json``.

Written by hand from the handlers it describes; `tests/unit/test_openapi.py` checks that it
names every route of the app with its methods, and that it is a valid OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from hub import __version__
from hub.api.openapi_access import ACCESS_PATHS, ACCESS_SCHEMAS
from hub.api.openapi_parts import (
    ID,
    JSON,
    TEXT,
    TIME,
)
from hub.api.openapi_parts import counted as _counted
from hub.api.openapi_parts import op as _op
from hub.api.openapi_parts import page as _page
from hub.api.openapi_parts import path as _path
from hub.api.openapi_parts import problem_responses as _problems
from hub.api.openapi_parts import query as _query
from hub.api.openapi_parts import ref as _ref

PAGING = [
    _query("limit", "page size", {"type": "integer", "minimum": 1, "maximum": 500}),
    _query("cursor", "the next_cursor of the previous page"),
]
SINCE = "RFC 3339, Unix seconds, or a duration ago: 30m, 1h, 2d"
STATUS = _query("status", "pending, succeeded or failed",
                {"type": "string", "enum": ["pending", "succeeded", "failed"]})  # fmt: skip
DELIVERY_FILTERS = [
    STATUS,
    _query("subscription", "a subscription id (required for scoped tokens); unknown is a 404"),
    _query("event_type", "an event type"),
    _query("subject", "the event's subject, e.g. order/1001"),
    _query("since", SINCE),
]  # fmt: skip
BULK = [
    *DELIVERY_FILTERS,
    _query("limit", "at most this many in one call",
           {"type": "integer", "minimum": 1, "maximum": 100000}),
    _query("dry_run", "count and show the first matches; change nothing", {"type": "boolean"}),
]  # fmt: skip
BULK_BODY = {"type": "object", "properties": {
    "status": {"type": "string"}, "subscription": {"type": "string"},
    "event_type": {"type": "string"}, "subject": {"type": "string"},
    "since": {"type": ["string", "number"]}, "limit": {"type": "integer"},
    "dry_run": {"type": "boolean"}}}  # fmt: skip


METRICS_OP: dict[str, Any] = {
    "summary": "Prometheus metrics (the admin token or HUB_METRICS_TOKEN)",
    "responses": {
        "200": {"description": "the text exposition format",
                "content": {"text/plain": {"schema": {"type": "string"}}}},
        **_problems(401, 404),
    },
}  # fmt: skip

# The dispatch options a subscription is created or patched with.
DISPATCH: dict[str, Any] = {
    "rate_limit": {"type": "number", "minimum": 0.01, "maximum": 10000,
                   "description": "deliveries per second at most"},
    "max_in_flight": {"type": "integer", "minimum": 1, "maximum": 1000},
    "ordered": {"type": "boolean",
                "description": "one at a time per subject, in acceptance order"},
    "content_mode": {"type": "string", "enum": ["cloudevents", "json"],
                     "description": "json: the same CloudEvent as application/json (the "
                                    "default for Power Automate and Logic Apps callbacks)"},
    "batch": {"type": ["object", "null"], "properties": {
        "size": {"type": "integer", "minimum": 2, "maximum": 100},
        "max_wait": {"type": "number", "minimum": 0, "maximum": 60}}},
}  # fmt: skip

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"}, "title": {"type": "string"},
            "status": {"type": "integer"}, "detail": {"type": "string"},
            "instance": {"type": "string"}, "rejection_id": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "pointer": {"type": "string"}, "detail": {"type": "string"}}}},
            "unknown": {"type": "array", "items": {"type": "string"},
                        "description": "parameters or fields the route does not take"},
            "accepted": {"type": "array", "items": {"type": "string"},
                         "description": "what the route takes"},
        },
    },
    "Event": {
        "type": "object",
        "required": ["id", "type", "source", "connector", "time", "received_at", "data"],
        "properties": {
            "id": ID, "type": {"type": "string"}, "source": {"type": "string"},
            "connector": {"type": "string"}, "subject": TEXT, "company": TEXT, "time": TIME,
            "received_at": TIME, "schema_version": TEXT, "data": {},
            "receipt_id": TEXT,
        },
    },
    "Delivery": {
        "type": "object",
        "required": ["id", "event_id", "subscription_id", "event_type", "status"],
        "properties": {
            "id": ID, "event_id": ID, "subscription_id": {"type": "string"},
            "event_type": {"type": "string"}, "subject": TEXT,
            "status": {"type": "string", "enum": ["pending", "succeeded", "failed"]},
            "attempt_count": {"type": "integer"}, "next_attempt_at": TIME,
            "last_status_code": {"type": ["integer", "null"]}, "last_error": TEXT,
            "created_at": TIME, "updated_at": TIME,
            "attempts": {"type": "array", "items": _ref("Attempt")},
        },
    },
    "BusinessObject": {
        "type": "object",
        "required": ["id", "type", "key", "status", "state", "reason"],
        "properties": {
            "id": ID, "type": {"type": "string"}, "key": {"type": "string"},
            "status": {"type": "string"}, "state": {"type": "string"},
            "reason": {"type": "string"}, "since": TIME, "seconds_in_status": {"type": "number"},
            "company": TEXT, "references": {"type": "object"},
            "linked_references": {"type": "object", "description": (
                "The references only a declared link implies (one object's page only)")},
            "aliases": {"type": "array", "items": {"type": "string"}}, "facts": {"type": "object"},
            "created_at": TIME, "updated_at": TIME,
            "timeline": {"type": "array", "items": {"type": "object"}},
            "logbook": {"type": "array", "items": {"type": "object"}},
            "deadlines": {"type": "array", "items": {"type": "object"}},
            "outcome": {"type": "string"}, "message": TEXT,
        },
    },
    "BulkTransition": {
        "type": "object",
        "required": ["dry_run", "matched", "applied", "fallen_back", "refused", "reasons"],
        "properties": {
            "dry_run": {"type": "boolean"}, "matched": {"type": "integer"},
            "applied": {"type": "integer"}, "fallen_back": {"type": "integer"},
            "refused": {"type": "integer"}, "bundles": {"type": "integer"},
            "reasons": {"type": "array", "items": {"type": "object", "properties": {
                "outcome": {"type": "string"}, "message": {"type": "string"},
                "count": {"type": "integer"},
                "keys": {"type": "array", "items": {"type": "string"}}}}},
        },
    },
    "Rebuild": {
        "type": "object",
        "required": ["dry_run", "events_replayed", "objects", "differing", "differences"],
        "properties": {
            "dry_run": {"type": "boolean"}, "emit": {"type": "boolean"},
            "types": {"type": "array", "items": {"type": "string"}},
            "events_replayed": {"type": "integer"}, "objects": {"type": "integer"},
            "differing": {"type": "integer"},
            "differences": {"type": "array", "items": {"type": "object", "properties": {
                "type": {"type": "string"}, "key": {"type": "string"},
                "change": {"type": "string", "enum": ["changed", "new", "gone"]},
                "live_status": TEXT, "rebuilt_status": TEXT}}},
        },
    },
    "Attempt": {
        "type": "object",
        "properties": {
            "id": ID, "attempted_at": TIME, "duration_ms": {"type": "number"},
            "status_code": {"type": ["integer", "null"]}, "response_body": TEXT, "error": TEXT,
            "response_headers": {"type": ["object", "null"], "description": (
                "A failed answer's headers, credentials masked (a success's are not kept)"),
                "additionalProperties": {"type": "string"}},
            "request_headers": {"type": "object", "description": (
                "The headers the attempt sent (one delivery's page only): the signature's "
                "value is not kept and a subscription's own values are masked"),
                "additionalProperties": {"type": "string"}},
        },
    },
    "Rejection": {
        "type": "object",
        "properties": {
            "id": ID, "connector": {"type": "string"}, "received_at": TIME,
            "status": {"type": "integer"}, "reason": {"type": "string"},
            "detail": {"type": "string"}, "errors": {"type": "array"},
            "headers": {"type": "object"},
            "body": {"type": "string"}, "body_encoding": {"type": "string"},
            "body_size": {"type": "integer"}, "body_truncated": {"type": "boolean"},
            "request_id": {"type": ["string", "null"]},
        },
    },
    "Issue": {
        "type": "object",
        "properties": {
            "id": ID, "kind": {"type": "string", "enum": ["delivery", "inbound", "schema"]},
            "scope": {"type": "string"}, "title": {"type": "string"},
            "status": {"type": "string", "enum": ["open", "acknowledged", "resolved"]},
            "count": {"type": "integer"}, "first_seen": TIME, "last_seen": TIME,
            "detail": {"type": ["string", "null"]}, "resolved_at": {"type": ["string", "null"]},
        },
    },
    "AuditEntry": {
        "type": "object",
        "properties": {
            "id": ID, "at": TIME,
            "actor": {"type": "object", "properties": {
                "id": {"type": "string"}, "name": {"type": "string"}}},
            "action": {"type": "string"}, "method": {"type": "string"},
            "path": {"type": "string"}, "target": {"type": "object"},
            "status": {"type": "integer"},
            "via": {"type": "string", "enum": ["api", "cli", "console"]},
            "remote": {"type": ["string", "null"]}, "request_id": {"type": ["string", "null"]},
        },
    },
    "Receipt": {
        "type": "object",
        "properties": {
            "id": ID, "connector": {"type": "string"}, "sender_id": TEXT, "received_at": TIME,
            "status": {"type": "string", "enum": ["processed", "ignored", "quarantined",
                                                  "reprocessed"]},
            "reason": TEXT, "event_ids": {"type": "array", "items": ID},
            "headers": {"type": ["object", "null"]}, "body_size": {"type": "integer"},
            "body": {"type": "string"}, "body_encoding": {"type": "string"},
            "request_id": {"type": ["string", "null"]},
        },
    },
    "Subscription": {
        "type": "object",
        "required": ["id", "url", "events", "state", "origin"],
        "properties": {
            "id": {"type": "string"}, "url": {"type": "string"},
            "events": {"type": "array", "items": {"type": "string"}}, "company": TEXT,
            "filter": {"type": ["object", "null"]},
            "headers": {"type": "array", "items": {"type": "string"},
                        "description": "header names; values are never shown"},
            "timeout": {"type": ["number", "null"]}, "retry": {"type": "object"},
            "origin": {"type": "string", "enum": ["file", "api"]},
            "read_only": {"type": "boolean"},
            "state": {"type": "string",
                      "enum": ["active", "paused", "pending_validation", "disabled"]},
            "validated_by": TEXT, "validation": TEXT, "expiration_date": TIME,
            "description": TEXT, "owner": TEXT, "created_at": TIME,
            "secrets": {"type": "integer", "description": "secrets that sign (2 in a rotation)"},
            "secret": {"type": "string", "description": "shown once: on creation and rotation"},
            "previous_secret_expires_at": TIME,
            "rate_limit": {"type": ["number", "null"]},
            "max_in_flight": {"type": ["integer", "null"]}, "ordered": {"type": "boolean"},
            "batch": {"type": ["object", "null"]},
            "content_mode": {"type": "string", "enum": ["cloudevents", "json"]},
            "blocked": {"type": "array", "items": {"type": "object"}},
            "health": {"type": "object", "properties": {
                "last_success_at": TIME, "failing_since": TIME,
                "consecutive_failures": {"type": "integer"}, "pending": {"type": "integer"}}},
        },
    },
    "SubscriptionCreate": {
        "type": "object",
        "description": "Name the target once, as target_url (Zapier), callbackUrl, "
                       "callback_url, hub.callback (Power Automate, Logic Apps) or url.",
        "properties": {
            **{key: {"type": "string", "format": "uri"}
               for key in ("target_url", "callbackUrl", "callback_url", "hub.callback", "url")},
            "event": {"type": "string"}, "events": {"type": "array", "items": {"type": "string"}},
            "company": {"type": "string"}, "filter": {"type": "object"},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "timeout": {"type": "number", "minimum": 0.5, "maximum": 60},
            "retry": {"type": "object", "properties": {
                "schedule": {"type": "array", "items": {"type": "number"}},
                "jitter": {"type": "number"}}},
            "expiration_date": {"type": "string", "format": "date-time"},
            "description": {"type": "string"}, "skip_validation": {"type": "boolean"},
            "secret": {"type": "string", "description": "a whsec_ key; omit it to get one"},
            **DISPATCH,
        },
    },
    "SubscriptionPatch": {
        "type": "object",
        "properties": {
            "state": {"type": "string", "enum": ["active", "paused"]},
            "active": {"type": "boolean", "description": "admin only: enable or disable"},
            "event": {"type": "string"}, "events": {"type": "array", "items": {"type": "string"}},
            "company": {"type": ["string", "null"]}, "filter": {"type": ["object", "null"]},
            "headers": {"type": "object"}, "timeout": {"type": ["number", "null"]},
            "retry": {"type": "object"}, "expiration_date": {"type": ["string", "null"]},
            "description": {"type": ["string", "null"]},
            **DISPATCH,
        },
    },
    "EventType": {
        "type": "object",
        "properties": {"type": {"type": "string"}, "version": {"type": "string"},
                       "description": {"type": "string"}, "schema": {"type": "object"},
                       "example": {}, "pattern": {"type": "string"}},
    },
}  # fmt: skip


# Matches a bulk replay or retry leaves out, by reason: they would only fail again at once.
SKIPPED = {
    "type": "object",
    "description": "matches left out, by reason: subscription_deleted, subscription_disabled",
    "additionalProperties": {"type": "integer"},
}


def _with_dry_run(op: dict[str, Any]) -> dict[str, Any]:
    """A bulk action asked for ``dry_run`` answers 200 with what it would touch."""
    preview = {"type": "object", "properties": {
        "dry_run": {"type": "boolean"}, "count": {"type": "integer"},
        "first": {"type": "array", "items": _ref("Delivery")}, "skipped": SKIPPED}}  # fmt: skip
    op["responses"]["200"] = {"description": "dry run: the count and the first matches",
                              "content": {JSON: {"schema": preview}}}  # fmt: skip
    return op


def _with_location(op: dict[str, Any]) -> dict[str, Any]:
    """A 201 that names the new resource: Power Automate DELETEs that Location to unsubscribe."""
    op["responses"]["201"]["headers"] = {"Location": {
        "description": "the subscription's URL; DELETE it to unsubscribe",
        "schema": {"type": "string", "format": "uri"}}}  # fmt: skip
    return op


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    sub_id = [_path()]
    paths: dict[str, Any] = {
        "/webhooks/{connector}": {
            "post": _op("Receive a vendor webhook", (202, {"type": "object"}),
                        (400, 401, 404, 413, 415, 422, 503), [_path("connector")],
                        {"type": "object"}, public=True),
            "options": _op("CloudEvents webhook abuse-protection handshake", (200, None), (404,),
                           [_path("connector")], public=True),
        },
        "/healthz": {"get": _op("Liveness", (200, {"type": "object"}), (), public=True)},
        "/readyz": {"get": _op(
            "Readiness: the store answers and each background loop runs",
            (200, {"type": "object", "required": ["status", "tasks"], "properties": {
                "status": {"const": "ready"},
                "tasks": {"type": "object", "additionalProperties": {
                    "enum": ["running", "restarting", "stopped", "off"]}}}}),
            (503,), public=True)},
        "/openapi.json": {"get": _op("This document", (200, {"type": "object"}), (), public=True)},
        "/metrics": {"get": METRICS_OP},
        "/api/issues": {"get": _op("Failures grouped into issues", (200, _page("Issue")),
                                   params=[_query("status", "open, acknowledged or resolved",
                                                  {"type": "string", "enum": [
                                                      "open", "acknowledged", "resolved"]}),
                                           *PAGING])},
        "/api/issues/{id}": {
            "get": _op("An issue", (200, "Issue"), (401, 403, 404), sub_id),
            "patch": _op("Acknowledge or resolve an issue", (200, "Issue"),
                         (400, 401, 403, 404, 409), sub_id,
                         body={"type": "object", "properties": {"status": {
                             "type": "string", "enum": ["acknowledged", "resolved"]}}}),
        },
        "/api/search": {"get": _op(
            "Find events, deliveries, receipts and business objects by any id",
            (200, {"type": "object", "properties": {
                "query": {"type": "string"},
                "items": {"type": "array", "items": {"type": "object", "properties": {
                    "kind": {"type": "string",
                             "enum": ["event", "delivery", "receipt", "object"]},
                    "id": ID, "title": {"type": "string"}}}}}}),
            params=[_query("q", "an id, a vendor's delivery id, an order number, a reference"),
                    _query("limit", "at most this many hits (1..200)",
                           {"type": "integer", "minimum": 1, "maximum": 200})])},
        "/api/overview": {"get": _op(
            "Backlog, open issues, failing subscriptions and traffic since start",
            (200, {"type": "object"}), (401, 403))},
        "/api/audit": {"get": _op("The audit trail of admin actions", (200, _page("AuditEntry")),
                                  params=[_query("actor", "a token id, or admin"),
                                          _query("action", "e.g. replay_deliveries"),
                                          _query("since", SINCE), _query("until", SINCE),
                                          *PAGING])},
        "/integrations/power-automate/apiDefinition.swagger.json": {"get": _op(
            "The Power Automate / Logic Apps custom connector (Swagger 2.0)",
            (200, {"type": "object"}), (), public=True)},
        "/api/event-types/{type}/subscriptions": {"post": _with_location(_op(
            "Subscribe to the one type in the path (a connector's trigger)",
            (201, "Subscription"), (400, 401, 403, 422), [_path("type")],
            body="SubscriptionCreate"))},
        "/api/events": {"get": _op("List events", (200, _page("Event")), params=[
            _query("type", "an event type"), _query("subject", "e.g. order/1001"),
            _query("connector", "the connector it came through, e.g. shopify"),
            _query("company", "a company or legal entity, e.g. USMF"),
            _query("since", SINCE), _query("until", SINCE), *PAGING])},
        "/api/events/{id}": {"get": _op("An event and its deliveries", (200, "Event"),
                                        (401, 403, 404), sub_id)},
        "/api/events/{id}/replay": {"post": _op(
            "Deliver an event again", (202, {"type": "object"}), (400, 401, 403, 404, 409),
            sub_id, {"type": "object", "properties": {"subscription": {"type": "string"}}})},
        "/api/deliveries": {"get": _op("List deliveries", (200, _counted(_page("Delivery"))),
                                       (400, 401, 403, 404), [*DELIVERY_FILTERS, *PAGING,
            _query("count", "true adds total, every match of the filters",
                   {"type": "boolean"})])},
        "/api/deliveries/replay": {"post": _with_dry_run(_op(
            "Bulk replay by filter (status defaults to failed)", (202, {"type": "object"}),
            (400, 401, 403, 404), params=BULK, body=BULK_BODY))},
        "/api/deliveries/retry": {"post": _with_dry_run(_op(
            "Bulk retry now: pending deliveries waiting out a backoff", (202, {"type": "object"}),
            (400, 401, 403, 404, 409), params=[p for p in BULK if p["name"] != "status"],
            body=BULK_BODY))},
        "/api/deliveries/{id}": {"get": _op("A delivery and its attempts", (200, "Delivery"),
                                            (401, 403, 404), sub_id)},
        "/api/deliveries/{id}/replay": {"post": _op("Replay one delivery", (202, "Delivery"),
                                                    (401, 403, 404, 409), sub_id)},
        "/api/deliveries/{id}/retry": {"post": _op(
            "Retry one waiting delivery now", (202, "Delivery"), (401, 403, 404, 409), sub_id)},
        "/api/rejections": {"get": _op("Refused inbound requests", (200, _page("Rejection")),
                                       params=PAGING)},
        "/api/receipts": {"get": _op("Quarantined, ignored or re-processed receipts",
                                     (200, _page("Receipt")), params=[_query(
                                         "status", "quarantined (default), ignored, reprocessed",
                                         {"type": "string", "enum": ["quarantined", "ignored",
                                                                     "reprocessed"]}), *PAGING])},
        "/api/receipts/{id}": {"get": _op("A receipt with its body", (200, "Receipt"),
                                          (401, 403, 404), sub_id)},
        "/api/receipts/{id}/reprocess": {"post": _op("Re-process a quarantined receipt",
                                                     (202, {"type": "object"}),
                                                     (401, 403, 404, 409, 422), sub_id)},
        "/api/subscriptions": {
            "get": _op("List subscriptions", (200, _page("Subscription"))),
            "post": _with_location(_op(
                "Subscribe (REST Hooks, Power Automate, plain)", (201, "Subscription"),
                (400, 401, 403, 422), body="SubscriptionCreate")),
            "delete": _op("Unsubscribe by callback URL", (204, None), (400, 401, 403, 404),
                          [_query("callback_url", "the URL the flow subscribed"),
                           _query("callbackUrl", "the same, as Power Automate names it")]),
        },
        "/api/subscriptions/{id}": {
            "get": _op("A subscription", (200, "Subscription"), (401, 403, 404), sub_id),
            "patch": _op("Pause, resume or change", (200, "Subscription"),
                         (400, 401, 403, 404, 409, 422), sub_id, "SubscriptionPatch"),
            "delete": _op("Unsubscribe", (204, None), (401, 403, 404, 409), sub_id),
        },
        "/api/subscriptions/{id}/rotate-secret": {"post": _op(
            "Rotate the signing secret", (200, "Subscription"), (400, 401, 403, 404, 409), sub_id,
            {"type": "object", "properties": {"grace_seconds": {"type": "number"}}})},
        "/api/subscriptions/{id}/validate": {"post": _op(
            "Ask the target for consent again", (200, "Subscription"), (401, 403, 404, 409),
            sub_id)},
        "/api/subscriptions/{id}/test": {"post": _op(
            "Send a test event now: the catalog's example, signed, not stored or retried",
            (200, {"type": "object", "required": ["event_id", "type", "succeeded"], "properties": {
                "subscription_id": {"type": "string"}, "event_id": ID, "type": {"type": "string"},
                "succeeded": {"type": "boolean"}, "status": {"type": ["integer", "null"]},
                "response": TEXT, "error": TEXT, "duration_ms": {"type": "number"}}}),
            (400, 401, 403, 404, 409, 422), sub_id,
            {"type": "object", "properties": {"type": {"type": "string"}}})},
        "/api/feed": {"get": _op("Events after a cursor, long-polling", (200, _page("Event")),
                                 (400, 401, 403, 422), [
            _query("after", "the next_cursor of the previous answer"),
            _query("types", "comma-separated types or patterns"), _query("company", "a company"),
            _query("filter", "a payload filter, JSON"),
            _query("limit", "at most this many", {"type": "integer", "minimum": 1, "maximum": 500}),
            _query("wait", "seconds to wait for new events", {"type": "number", "minimum": 0,
                                                             "maximum": 60})])},
        "/api/event-types": {"get": _op("The event catalog", (200, _page("EventType")))},
        "/api/event-types/{type}/message-schema": {"get": _op(
            "The JSON Schema of a delivered message of this type: the envelope and its data",
            (200, {"type": "object"}), (400, 401, 403, 404), [
                _path("type"), _query("format", "swagger: the Swagger 2.0 form, under schema")])},
        "/api/objects": {"get": _op("Business objects", (200, _page("BusinessObject")),
                                    (400, 401, 403, 404), [
            _query("type", "order, customer, vendor, product or purchase_order"),
            _query("status", "a status of the rules"), _query("state", "an IOM-style state"),
            _query("company", "a company"),
            _query("overdue", "only those past a deadline", {"type": "boolean"}),
            _query("q", "any alias (#1042, a tracking number), or text in the facts"),
            *PAGING])},
        "/api/state/rebuild": {"post": _op(
            "Replay the event log through today's rules; report (and apply) what differs",
            (200, "Rebuild"), (400, 401, 403, 404), [],
            {"type": "object", "properties": {
                "type": {"type": "string"}, "dry_run": {"type": "boolean"},
                "emit": {"type": "boolean"}}})},
        "/api/objects/{type}/transitions": {"post": _op(
            "Move every matching object, in bundles; answers the counts and reasons (admin)",
            (200, "BulkTransition"), (400, 401, 403, 404, 422), [_path("type")],
            {"type": "object", "required": ["to"], "properties": {
                "from": {"type": "string"}, "to": {"type": "string"},
                "filter": {"type": "object"}, "message": {"type": "string"},
                "force": {"type": "boolean"}, "dry_run": {"type": "boolean"}}})},
        "/api/objects/{type}/{key}": {"get": _op(
            "One object by any alias: status, references, facts, timeline, logbook",
            (200, "BusinessObject"), (401, 403, 404), [_path("type"), _path("key")])},
        "/api/objects/{type}/{key}/transitions": {"post": _op(
            "Move an object by hand (409: a condition failed; 422: not allowed from here)",
            (200, "BusinessObject"), (400, 401, 403, 404, 409, 422),
            [_path("type"), _path("key")],
            {"type": "object", "required": ["to"], "properties": {
                "to": {"type": "string"}, "message": {"type": "string"},
                "force": {"type": "boolean"}}})},
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {"title": "Webhook hub", "version": __version__,
                 "description": "Receive vendor webhooks, normalize them into canonical business "
                                "events, fan them out durably."},
        "security": [{"bearer": []}],
        "components": {"schemas": SCHEMAS | ACCESS_SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "the admin token, or a scoped token"}}},
        "paths": paths | ACCESS_PATHS,
    }  # fmt: skip
