"""The admin API: events and their replay, rejections, receipts and the catalog."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.api.auth import view_of
from hub.api.params import (
    DEFAULT_LIMIT,
    PAGE,
    accepts,
    hub_of,
    instant_param,
    int_param,
    json_object,
    page_response,
    text_param,
)
from hub.api.render import (
    render_delivery,
    render_event,
    render_receipt,
    render_rejection,
)
from hub.api.visible import page_for, reading_view
from hub.errors import Conflict, InvalidParameter, NotFound, UnknownEventType
from hub.ids import new_id
from hub.integrations.swagger import to_swagger
from hub.model import Delivery, DeliveryFilter, DeliveryStatus, Event, EventFilter, ReceiptStatus
from hub.outbound.message import message_schema


@accepts("type", "subject", "connector", "company", "since", "until", *PAGE)
async def list_events(request: Request) -> JSONResponse:
    q = request.query_params
    now = hub_of(request).clock.now()
    where = EventFilter(
        type=q.get("type") or None,
        subject=q.get("subject") or None,
        connector=q.get("connector") or None,
        company=q.get("company") or None,
        since=instant_param(q, "since", now),
        until=instant_param(q, "until", now),
    )
    store = hub_of(request).store
    limit = int_param(q, "limit", DEFAULT_LIMIT, 1, 500)
    view = reading_view(request)
    page = await page_for(view, lambda c, n: store.list_events(where, c, n), q.get("cursor"),
                          limit, view.event)  # fmt: skip
    return page_response([render_event(e) for e in page.items], page.next_cursor)


async def _event(request: Request) -> Event:
    """The event in the path, if the caller may see it (404 otherwise, not 403)."""
    found = await hub_of(request).store.get_event(request.path_params["id"])
    if found is None or not view_of(request).event(found):
        raise NotFound(f"no event {request.path_params['id'][:64]!r}")
    return found


@accepts()
async def get_event(request: Request) -> JSONResponse:
    """One event, with the deliveries made of it that the caller may see."""
    hub = hub_of(request)
    event = await _event(request)
    view = view_of(request)
    own = None if view.admin else tuple(sorted(view.subscriptions))
    deliveries = await hub.store.list_deliveries(
        DeliveryFilter(event_id=event.id, subscription_ids=own), None, 500
    )
    doc = render_event(event) | {"receipt_id": event.receipt_id}
    doc["deliveries"] = [render_delivery(d) for d in deliveries.items]
    return JSONResponse(doc)


@accepts()
async def replay_event(request: Request) -> JSONResponse:
    """Deliver an event again: to every subscription that matches now, or to a named one."""
    hub = hub_of(request)
    named = text_param(await json_object(request, ("subscription",)), "subscription")
    event = await _event(request)
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
        Delivery(new_id("dlv"), event.id, sub_id, event.type, DeliveryStatus.PENDING, now, now,
                 subject=event.subject)  # deliveries keep no subject: shown from the event
        for sub_id in targets
    ]  # fmt: skip
    await hub.store.add_deliveries(deliveries)
    hub.worker.notify()
    return JSONResponse({"deliveries": [render_delivery(d) for d in deliveries]}, 202)


@accepts(*PAGE)
async def list_rejections(request: Request) -> JSONResponse:
    q = request.query_params
    page = await hub_of(request).store.list_rejections(
        q.get("cursor"), int_param(q, "limit", DEFAULT_LIMIT, 1, 500)
    )
    return page_response([render_rejection(r) for r in page.items], page.next_cursor)


@accepts("status", *PAGE)
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


@accepts()
async def get_receipt(request: Request) -> JSONResponse:
    receipt = await hub_of(request).store.get_receipt(request.path_params["id"])
    if receipt is None:
        raise NotFound(f"no receipt {request.path_params['id'][:64]}")
    return JSONResponse(render_receipt(receipt, True))


@accepts()
async def reprocess_receipt(request: Request) -> JSONResponse:
    """Run a quarantined receipt through its connector again (after fixing the policy)."""
    await json_object(request, ())
    outcome = await hub_of(request).ingestor.reprocess(request.path_params["id"])
    return JSONResponse(
        {"receipt_id": outcome.receipt_id, "status": str(outcome.status),
         "event_ids": outcome.event_ids},
        202,
    )  # fmt: skip


@accepts()
async def list_event_types(request: Request) -> JSONResponse:
    items = [t.describe() for t in hub_of(request).catalog]
    return JSONResponse({"items": items, "next_cursor": None})


@accepts("format")
async def get_message_schema(request: Request) -> JSONResponse:
    """The JSON Schema of a delivered message of one type: envelope and data; with
    ``format=swagger``, its Swagger 2.0 form under ``schema`` (a connector's dynamic schema)."""
    name = request.path_params["type"]
    try:
        event_type = hub_of(request).catalog.get(name)
    except UnknownEventType:
        raise NotFound(
            f"no event type {name[:80]!r} in the catalog; GET /api/event-types lists them"
        ) from None
    schema = message_schema(event_type)
    wanted = request.query_params.get("format")
    if wanted == "swagger":
        return JSONResponse({"schema": to_swagger(schema)})
    if wanted is not None:
        raise InvalidParameter(f"format must be swagger (or absent), not {wanted[:20]!r}")
    return JSONResponse(schema)


ROUTES = [
    Route("/events", list_events, methods=["GET"]),
    Route("/events/{id}", get_event, methods=["GET"]),
    Route("/events/{id}/replay", replay_event, methods=["POST"]),
    Route("/rejections", list_rejections, methods=["GET"]),
    Route("/receipts", list_receipts, methods=["GET"]),
    Route("/receipts/{id}", get_receipt, methods=["GET"]),
    Route("/receipts/{id}/reprocess", reprocess_receipt, methods=["POST"]),
    Route("/event-types", list_event_types, methods=["GET"]),
    Route("/event-types/{type}/message-schema", get_message_schema, methods=["GET"]),
]
