"""The admin API under ``/api``: events, deliveries, replays, rejections, subscriptions.

Every route sits behind `AdminAuth`, applied to the whole mount, so no route can forget it.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from hub import feed, subscriptions_api
from hub.clock import parse_rfc3339, rfc3339_or_none
from hub.connector import parse_json
from hub.errors import Conflict, Forbidden, InvalidParameter, NotFound, Unauthorized
from hub.ids import new_id
from hub.model import (
    Attempt,
    Delivery,
    DeliveryFilter,
    DeliveryStatus,
    Event,
    EventFilter,
    Receipt,
    ReceiptStatus,
    Rejection,
)
from hub.problem import error_response
from hub.tokens import ADMIN, Principal, token_hash

if TYPE_CHECKING:
    from hub.app import Hub

DEFAULT_LIMIT = 50
BULK_REPLAY_MAX = 100_000


def bearer_hash(authorization: str | None) -> str:
    """The SHA-256 of the presented bearer token.

    Raises:
        Unauthorized: no bearer token.
    """
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <token>")
    return token_hash(token.strip())


# What a scoped token may reach: its subscriptions, their deliveries, and the catalog.
SCOPED_ROUTES = [
    (frozenset({"GET"}), re.compile(r"^/event-types$")),
    (frozenset({"GET", "POST", "DELETE"}), re.compile(r"^/subscriptions$")),
    (frozenset({"GET", "PATCH", "DELETE"}), re.compile(r"^/subscriptions/[^/]+$")),
    (frozenset({"POST"}), re.compile(r"^/subscriptions/[^/]+/(rotate-secret|validate)$")),
    (frozenset({"GET"}), re.compile(r"^/deliveries(/[^/]+)?$")),
    (frozenset({"GET"}), re.compile(r"^/feed$")),
]


def authenticate(authorization: str | None, hub: Hub) -> Principal:
    """The admin, or the scoped token presented.

    Raises:
        Unauthorized: no token, or one the hub does not know.
    """
    presented = bearer_hash(authorization)
    if hmac.compare_digest(presented.encode(), hub.admin_token_hash.encode()):
        return ADMIN
    token = hub.tokens.find(presented)
    if token is None:
        raise Unauthorized("the token is not valid")
    return Principal(token.id)


def within_scope(method: str, path: str) -> bool:
    return any(method in methods and pattern.match(path) for methods, pattern in SCOPED_ROUTES)


class AdminAuth:
    """ASGI middleware in front of every /api route: a valid token, and for scoped tokens, a
    route within their scope. Handlers read the caller from ``scope["state"]["principal"]``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            hub: Hub = scope["app"].state.hub
            raw = dict(scope["headers"]).get(b"authorization")
            root, path = scope.get("root_path", ""), scope["path"]
            relative = path[len(root) :] if root and path.startswith(root) else path
            try:
                who = authenticate(raw.decode("latin-1") if raw else None, hub)
                if not who.admin and not within_scope(scope["method"], relative):
                    raise Forbidden("a scoped token reaches only its subscriptions and deliveries")
            except (Unauthorized, Forbidden) as exc:
                response = error_response(exc, path)
                if isinstance(exc, Unauthorized):
                    response.headers["WWW-Authenticate"] = 'Bearer realm="hub"'
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = who
        await self.app(scope, receive, send)


# rendering ---------------------------------------------------------------------------------


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
    }


# parameters ------------------------------------------------------------------------------


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidParameter(f"{name} must be an integer in {low}..{high}")
    return int(raw)


def _instant(params: Mapping[str, Any], name: str) -> float | None:
    """An RFC 3339 timestamp or Unix seconds."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return float(raw) if isinstance(raw, int | float) else _parse_instant(str(raw))
    except ValueError:
        raise InvalidParameter(f"{name} must be RFC 3339 (with a zone) or Unix seconds") from None


def _parse_instant(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        return parse_rfc3339(raw)


def _status(raw: Any, default: DeliveryStatus | None = None) -> DeliveryStatus | None:
    if raw is None or raw == "":
        return default
    try:
        return DeliveryStatus(raw)
    except ValueError:
        raise InvalidParameter("status must be pending, succeeded or failed") from None


def _text(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidParameter(f"{name} must be a string")
    return value or None


def delivery_filter(params: Mapping[str, Any], default: DeliveryStatus | None) -> DeliveryFilter:
    return DeliveryFilter(
        status=_status(params.get("status"), default),
        subscription_id=_text(params, "subscription"),
        event_type=_text(params, "event_type"),
        since=_instant(params, "since"),
    )


async def json_object(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        return {}
    doc = parse_json(body)
    if not isinstance(doc, dict):
        raise InvalidParameter("the request body must be a JSON object")
    return doc


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def _page(items: list[dict[str, Any]], cursor: str | None) -> JSONResponse:
    return JSONResponse({"items": items, "next_cursor": cursor})


# handlers --------------------------------------------------------------------------------


async def list_events(request: Request) -> JSONResponse:
    q = request.query_params
    where = EventFilter(
        type=q.get("type") or None,
        subject=q.get("subject") or None,
        since=_instant(q, "since"),
        until=_instant(q, "until"),
    )
    page = await _hub(request).store.list_events(
        where, q.get("cursor"), _int(q, "limit", DEFAULT_LIMIT, 1, 500)
    )
    return _page([render_event(e) for e in page.items], page.next_cursor)


async def _event(request: Request) -> Event:
    found = await _hub(request).store.get_event(request.path_params["id"])
    if found is None:
        raise NotFound(f"no event {request.path_params['id'][:64]!r}")
    return found


async def _delivery(request: Request) -> Delivery:
    found = await _hub(request).store.get_delivery(request.path_params["id"])
    if found is None:
        raise NotFound(f"no delivery {request.path_params['id'][:64]!r}")
    return found


async def get_event(request: Request) -> JSONResponse:
    hub = _hub(request)
    event = await _event(request)
    deliveries = await hub.store.list_deliveries(DeliveryFilter(event_id=event.id), None, 500)
    doc = render_event(event)
    doc["deliveries"] = [render_delivery(d) for d in deliveries.items]
    return JSONResponse(doc)


async def replay_event(request: Request) -> JSONResponse:
    """Deliver an event again: to every subscription that matches now, or to a named one."""
    hub = _hub(request)
    event = await _event(request)
    named = _text(await json_object(request), "subscription")
    if named is not None:
        if hub.registry.get(named) is None:
            raise NotFound(f"no subscription {named[:64]!r}")
        if not hub.registry.is_active(named):
            raise Conflict(f"subscription {named} is disabled; enable it first")
        targets = [named]
    else:
        data = json.loads(event.data_json)
        route = hub.registry.route(event.type, event.company, data, hub.clock.now())
        targets = [s.id for s in route]
    now = hub.clock.now()
    deliveries = [
        Delivery(new_id("dlv"), event.id, sub_id, event.type, DeliveryStatus.PENDING, now, now)
        for sub_id in targets
    ]
    await hub.store.add_deliveries(deliveries)
    hub.worker.notify()
    return JSONResponse({"deliveries": [render_delivery(d) for d in deliveries]}, 202)


def _scoped(request: Request, subscription_id: str | None) -> None:
    """A scoped token sees the deliveries of its own subscriptions only.

    Raises:
        InvalidParameter: a scoped listing names no subscription.
        NotFound: the subscription is not the token's.
    """
    who = subscriptions_api.principal(request)
    if who.admin:
        return
    if subscription_id is None:
        raise InvalidParameter("a scoped token lists deliveries with ?subscription=<its id>")
    sub = _hub(request).registry.get(subscription_id)
    if sub is None or not who.owns(sub.owner):
        raise NotFound(f"no subscription {subscription_id[:64]!r}")


async def list_deliveries(request: Request) -> JSONResponse:
    q = request.query_params
    _scoped(request, q.get("subscription"))
    page = await _hub(request).store.list_deliveries(
        delivery_filter(q, None), q.get("cursor"), _int(q, "limit", DEFAULT_LIMIT, 1, 500)
    )
    return _page([render_delivery(d) for d in page.items], page.next_cursor)


async def get_delivery(request: Request) -> JSONResponse:
    hub = _hub(request)
    delivery = await _delivery(request)
    try:
        _scoped(request, delivery.subscription_id)
    except NotFound:
        raise NotFound(f"no delivery {delivery.id}") from None
    doc = render_delivery(delivery)
    doc["attempts"] = [render_attempt(a) for a in await hub.store.list_attempts(delivery.id)]
    return JSONResponse(doc)


async def replay_delivery(request: Request) -> JSONResponse:
    """Queue one delivery for a fresh round of attempts; it keeps its webhook-id."""
    hub = _hub(request)
    delivery = await _delivery(request)
    if not hub.registry.is_active(delivery.subscription_id):
        raise Conflict(f"subscription {delivery.subscription_id} is disabled; enable it first")
    replayed = await hub.store.replay(delivery.id, hub.clock.now())
    assert replayed is not None
    hub.worker.notify()
    return JSONResponse(render_delivery(replayed), 202)


async def replay_deliveries(request: Request) -> JSONResponse:
    """Bulk replay by filter (status defaults to failed); answers how many were queued."""
    hub = _hub(request)
    params: dict[str, Any] = dict(request.query_params)
    params.update(await json_object(request))
    where = delivery_filter(params, DeliveryStatus.FAILED)
    if where.status == DeliveryStatus.PENDING:
        raise InvalidParameter("pending deliveries are already queued")
    raw_limit = params.get("limit", BULK_REPLAY_MAX)
    if not isinstance(raw_limit, int) or not 1 <= raw_limit <= BULK_REPLAY_MAX:
        raw_limit = _int({"limit": str(raw_limit)}, "limit", BULK_REPLAY_MAX, 1, BULK_REPLAY_MAX)
    queued = await hub.store.replay_many(where, hub.clock.now(), raw_limit)
    remaining = await hub.store.count_deliveries(where)
    hub.worker.notify()
    return JSONResponse({"queued": queued, "remaining": remaining}, 202)


async def list_rejections(request: Request) -> JSONResponse:
    q = request.query_params
    page = await _hub(request).store.list_rejections(
        q.get("cursor"), _int(q, "limit", DEFAULT_LIMIT, 1, 500)
    )
    return _page([render_rejection(r) for r in page.items], page.next_cursor)


async def list_receipts(request: Request) -> JSONResponse:
    """Acknowledged requests that did not simply become events: quarantined ones above all."""
    q = request.query_params
    raw = q.get("status", str(ReceiptStatus.QUARANTINED))
    try:
        status = ReceiptStatus(raw)
    except ValueError:
        choices = ", ".join(s for s in ReceiptStatus if s != ReceiptStatus.PROCESSED)
        raise InvalidParameter(f"status must be one of {choices}") from None
    if status == ReceiptStatus.PROCESSED:
        raise InvalidParameter("processed receipts are listed as events: GET /api/events")
    page = await _hub(request).store.list_receipts(
        status, q.get("cursor"), _int(q, "limit", DEFAULT_LIMIT, 1, 500)
    )
    return _page([render_receipt(r, False) for r in page.items], page.next_cursor)


async def get_receipt(request: Request) -> JSONResponse:
    receipt = await _hub(request).store.get_receipt(request.path_params["id"])
    if receipt is None:
        raise NotFound(f"no receipt {request.path_params['id'][:64]}")
    return JSONResponse(render_receipt(receipt, True))


async def reprocess_receipt(request: Request) -> JSONResponse:
    """Run a quarantined receipt through its connector again (after fixing the policy)."""
    outcome = await _hub(request).ingestor.reprocess(request.path_params["id"])
    return JSONResponse(
        {"receipt_id": outcome.receipt_id, "status": str(outcome.status),
         "event_ids": outcome.event_ids},
        202,
    )  # fmt: skip


async def list_event_types(request: Request) -> JSONResponse:
    items = [t.describe() for t in _hub(request).catalog]
    return JSONResponse({"items": items, "next_cursor": None})


ROUTES = [
    Route("/events", list_events, methods=["GET"]),
    Route("/events/{id}", get_event, methods=["GET"]),
    Route("/events/{id}/replay", replay_event, methods=["POST"]),
    Route("/deliveries", list_deliveries, methods=["GET"]),
    Route("/deliveries/replay", replay_deliveries, methods=["POST"]),
    Route("/deliveries/{id}", get_delivery, methods=["GET"]),
    Route("/deliveries/{id}/replay", replay_delivery, methods=["POST"]),
    Route("/rejections", list_rejections, methods=["GET"]),
    Route("/receipts", list_receipts, methods=["GET"]),
    Route("/receipts/{id}", get_receipt, methods=["GET"]),
    Route("/receipts/{id}/reprocess", reprocess_receipt, methods=["POST"]),
    *subscriptions_api.ROUTES,
    *feed.ROUTES,
    Route("/event-types", list_event_types, methods=["GET"]),
]

__all__ = ["ROUTES", "AdminAuth"]
