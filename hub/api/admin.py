"""The admin API: events, deliveries, replays, rejections, receipts and the catalog."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.api.auth import principal
from hub.api.params import (
    DEFAULT_LIMIT,
    delivery_filter,
    hub_of,
    instant_param,
    int_param,
    json_object,
    page_response,
    text_param,
)
from hub.api.render import (
    render_attempt,
    render_delivery,
    render_event,
    render_receipt,
    render_rejection,
)
from hub.errors import Conflict, InvalidParameter, NotFound
from hub.ids import new_id
from hub.model import Delivery, DeliveryFilter, DeliveryStatus, Event, EventFilter, ReceiptStatus

BULK_REPLAY_MAX = 100_000


async def list_events(request: Request) -> JSONResponse:
    q = request.query_params
    where = EventFilter(
        type=q.get("type") or None,
        subject=q.get("subject") or None,
        since=instant_param(q, "since"),
        until=instant_param(q, "until"),
    )
    page = await hub_of(request).store.list_events(
        where, q.get("cursor"), int_param(q, "limit", DEFAULT_LIMIT, 1, 500)
    )
    return page_response([render_event(e) for e in page.items], page.next_cursor)


async def _event(request: Request) -> Event:
    found = await hub_of(request).store.get_event(request.path_params["id"])
    if found is None:
        raise NotFound(f"no event {request.path_params['id'][:64]!r}")
    return found


async def _delivery(request: Request) -> Delivery:
    found = await hub_of(request).store.get_delivery(request.path_params["id"])
    if found is None:
        raise NotFound(f"no delivery {request.path_params['id'][:64]!r}")
    return found


async def get_event(request: Request) -> JSONResponse:
    hub = hub_of(request)
    event = await _event(request)
    deliveries = await hub.store.list_deliveries(DeliveryFilter(event_id=event.id), None, 500)
    doc = render_event(event)
    doc["deliveries"] = [render_delivery(d) for d in deliveries.items]
    return JSONResponse(doc)


async def replay_event(request: Request) -> JSONResponse:
    """Deliver an event again: to every subscription that matches now, or to a named one."""
    hub = hub_of(request)
    event = await _event(request)
    named = text_param(await json_object(request), "subscription")
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
    who = principal(request)
    if who.admin:
        return
    if subscription_id is None:
        raise InvalidParameter("a scoped token lists deliveries with ?subscription=<its id>")
    sub = hub_of(request).registry.get(subscription_id)
    if sub is None or not who.owns(sub.owner):
        raise NotFound(f"no subscription {subscription_id[:64]!r}")


async def list_deliveries(request: Request) -> JSONResponse:
    q = request.query_params
    _scoped(request, q.get("subscription"))
    page = await hub_of(request).store.list_deliveries(
        delivery_filter(q, None), q.get("cursor"), int_param(q, "limit", DEFAULT_LIMIT, 1, 500)
    )
    return page_response([render_delivery(d) for d in page.items], page.next_cursor)


async def get_delivery(request: Request) -> JSONResponse:
    hub = hub_of(request)
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
    hub = hub_of(request)
    delivery = await _delivery(request)
    if not hub.registry.is_active(delivery.subscription_id):
        raise Conflict(f"subscription {delivery.subscription_id} is disabled; enable it first")
    replayed = await hub.store.replay(delivery.id, hub.clock.now())
    assert replayed is not None
    hub.worker.notify()
    return JSONResponse(render_delivery(replayed), 202)


async def replay_deliveries(request: Request) -> JSONResponse:
    """Bulk replay by filter (status defaults to failed); answers how many were queued."""
    hub = hub_of(request)
    params: dict[str, Any] = dict(request.query_params)
    params.update(await json_object(request))
    where = delivery_filter(params, DeliveryStatus.FAILED)
    if where.status == DeliveryStatus.PENDING:
        raise InvalidParameter("pending deliveries are already queued")
    raw_limit = params.get("limit", BULK_REPLAY_MAX)
    if not isinstance(raw_limit, int) or not 1 <= raw_limit <= BULK_REPLAY_MAX:
        raw_limit = int_param(
            {"limit": str(raw_limit)}, "limit", BULK_REPLAY_MAX, 1, BULK_REPLAY_MAX
        )
    queued = await hub.store.replay_many(where, hub.clock.now(), raw_limit)
    remaining = await hub.store.count_deliveries(where)
    hub.worker.notify()
    return JSONResponse({"queued": queued, "remaining": remaining}, 202)


async def list_rejections(request: Request) -> JSONResponse:
    q = request.query_params
    page = await hub_of(request).store.list_rejections(
        q.get("cursor"), int_param(q, "limit", DEFAULT_LIMIT, 1, 500)
    )
    return page_response([render_rejection(r) for r in page.items], page.next_cursor)


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
    page = await hub_of(request).store.list_receipts(
        status, q.get("cursor"), int_param(q, "limit", DEFAULT_LIMIT, 1, 500)
    )
    return page_response([render_receipt(r, False) for r in page.items], page.next_cursor)


async def get_receipt(request: Request) -> JSONResponse:
    receipt = await hub_of(request).store.get_receipt(request.path_params["id"])
    if receipt is None:
        raise NotFound(f"no receipt {request.path_params['id'][:64]}")
    return JSONResponse(render_receipt(receipt, True))


async def reprocess_receipt(request: Request) -> JSONResponse:
    """Run a quarantined receipt through its connector again (after fixing the policy)."""
    outcome = await hub_of(request).ingestor.reprocess(request.path_params["id"])
    return JSONResponse(
        {"receipt_id": outcome.receipt_id, "status": str(outcome.status),
         "event_ids": outcome.event_ids},
        202,
    )  # fmt: skip


async def list_event_types(request: Request) -> JSONResponse:
    items = [t.describe() for t in hub_of(request).catalog]
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
    Route("/event-types", list_event_types, methods=["GET"]),
]
