"""Deliveries for admins: list them, look at one, replay what failed and retry what waits.

Bulk actions take the listing's filters, refuse any they do not know (an ignored filter would
widen what is replayed), answer ``dry_run`` with the count and the first matches, and name an
unknown subscription with a 404.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.api.audit import audit_dry_run
from hub.api.auth import principal, view_of
from hub.api.params import (
    DEFAULT_LIMIT,
    DELIVERY_FILTERS,
    PAGE,
    accepts,
    bool_param,
    delivery_filter,
    hub_of,
    int_param,
    json_object,
    refuse_unknown,
    text_param,
)
from hub.api.render import render_attempt, render_delivery
from hub.api.services import Hub
from hub.errors import Conflict, InvalidParameter, NotFound
from hub.model import Delivery, DeliveryFilter, DeliveryStatus, SubscriptionState
from hub.outbound.message import headers_as_sent

BULK_MAX = 100_000
PREVIEW = 10  # matches a dry run shows
BULK_FIELDS = (*DELIVERY_FILTERS, "limit", "dry_run")
RETRY_FIELDS = tuple(f for f in BULK_FIELDS if f != "status")


async def _scoped(request: Request, subscription_id: str | None) -> None:
    """A scoped token sees the deliveries of its own subscriptions only; a subscription that
    the hub does not know, and that has no deliveries either, is a 404 for anyone.

    Raises:
        NotFound: the subscription is unknown, or not the caller's.
    """
    if subscription_id is None:
        return
    who = principal(request)
    hub = hub_of(request)
    sub = hub.registry.get(subscription_id)
    if sub is not None and who.owns(sub.owner, sub.partner):
        return
    # Unsubscribed (a 410 Gone, a Zap turned off): its deliveries stay for the admin to see.
    if sub is None and who.admin and await _has_deliveries(hub, subscription_id):
        return
    raise NotFound(f"no subscription {subscription_id[:64]!r}")


def _own(request: Request, where: DeliveryFilter) -> DeliveryFilter:
    """The filter narrowed to the caller's own subscriptions (the admin's is unchanged): every
    listing and bulk action of a partner goes through here, so none reaches another's."""
    view = view_of(request)
    if view.admin:
        return where
    return replace(where, subscription_ids=tuple(sorted(view.subscriptions)))


async def _has_deliveries(hub: Hub, subscription_id: str) -> bool:
    found = await hub.store.list_deliveries(
        DeliveryFilter(subscription_id=subscription_id), None, 1
    )
    return bool(found.items)


async def _delivery(request: Request) -> Delivery:
    """The delivery in the path, if it is the caller's (404 otherwise, not 403)."""
    found = await hub_of(request).store.get_delivery(request.path_params["id"])
    if found is None or not view_of(request).delivery(found):
        raise NotFound(f"no delivery {request.path_params['id'][:64]!r}")
    return found


@accepts(*DELIVERY_FILTERS, *PAGE, "count")
async def list_deliveries(request: Request) -> JSONResponse:
    """A page of deliveries; ``count=true`` adds ``total``, every match of the filters (a
    count costs a scan of the matches, so it is asked for, not given by default)."""
    hub = hub_of(request)
    q = request.query_params
    await _scoped(request, q.get("subscription"))
    where = _own(request, delivery_filter(q, None, hub.clock.now()))
    page = await hub.store.list_deliveries(
        where, q.get("cursor"), int_param(q, "limit", DEFAULT_LIMIT, 1, 500)
    )
    doc: dict[str, Any] = {"items": [render_delivery(d) for d in page.items],
                           "next_cursor": page.next_cursor}  # fmt: skip
    if bool_param(q, "count"):
        doc["total"] = await hub.store.count_deliveries(where)
    return JSONResponse(doc)


@accepts()
async def get_delivery(request: Request) -> JSONResponse:
    hub = hub_of(request)
    delivery = await _delivery(request)
    doc = render_delivery(delivery)
    sub = hub.registry.get(delivery.subscription_id)
    doc["attempts"] = [
        render_attempt(a)
        | {"request_headers": headers_as_sent(sub, delivery.event_id, a.attempted_at)}
        for a in await hub.store.list_attempts(delivery.id)
    ]
    return JSONResponse(doc)


def _sendable(hub: Hub, subscription_id: str) -> None:
    """Raises: Conflict, for a subscription whose deliveries would only wait."""
    sub = hub.registry.get(subscription_id)
    if not hub.registry.is_active(subscription_id) or sub is None:
        raise Conflict(f"subscription {subscription_id} is disabled; enable it first")
    if sub.state != SubscriptionState.ACTIVE:
        raise Conflict(f"subscription {subscription_id} is {sub.state}; resume it first")


@accepts()
async def replay_delivery(request: Request) -> JSONResponse:
    """Queue one delivery for a fresh round of attempts; it keeps its webhook-id."""
    hub = hub_of(request)
    await json_object(request, ())
    delivery = await _delivery(request)  # a scoped token replays only its own
    if not hub.registry.is_active(delivery.subscription_id):
        raise Conflict(f"subscription {delivery.subscription_id} is disabled; enable it first")
    replayed = await hub.store.replay(delivery.id, hub.clock.now())
    assert replayed is not None
    hub.worker.notify()
    return JSONResponse(render_delivery(replayed), 202)


@accepts()
async def retry_delivery(request: Request) -> JSONResponse:
    """Make one delivery that waits out a backoff due now (its retry schedule goes on)."""
    hub = hub_of(request)
    await json_object(request, ())
    delivery = await _delivery(request)
    _sendable(hub, delivery.subscription_id)
    retried = await hub.store.retry_now(delivery.id, hub.clock.now())
    assert retried is not None
    hub.worker.notify()
    return JSONResponse(render_delivery(retried), 202)


async def _bulk(request: Request, accepted: tuple[str, ...]) -> tuple[dict[str, Any], int, bool]:
    """The bulk body (query and JSON body alike), its limit and whether it is a dry run."""
    params: dict[str, Any] = dict(request.query_params)
    refuse_unknown(params, accepted, "query parameter(s)")
    params.update(await json_object(request, accepted))
    await _scoped(request, text_param(params, "subscription"))
    raw = params.get("limit", BULK_MAX)
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise InvalidParameter(f"limit must be an integer in 1..{BULK_MAX}")
    limit = int_param({"limit": str(raw)}, "limit", BULK_MAX, 1, BULK_MAX)
    return params, limit, bool_param(params, "dry_run")


async def _preview(hub: Hub, where: DeliveryFilter, skipped: dict[str, int]) -> JSONResponse:
    found = await hub.store.list_deliveries(where, None, PREVIEW)
    count = await hub.store.count_deliveries(where)
    first = [render_delivery(d) for d in found.items]
    return JSONResponse({"dry_run": True, "count": count, "first": first, "skipped": skipped})


async def _sendable_only(
    request: Request, where: DeliveryFilter
) -> tuple[DeliveryFilter, dict[str, int]]:
    """The filter narrowed to subscriptions that exist, are enabled and are the caller's, and
    how many matches that leaves out, by reason: queued again, those would only fail again."""
    hub = hub_of(request)
    where = _own(request, where)
    mine = set(where.subscription_ids) if where.subscription_ids is not None else None
    known = sorted(s.id for s in hub.registry.all() if mine is None or s.id in mine)
    enabled = tuple(i for i in known if hub.registry.is_active(i))
    total = await hub.store.count_deliveries(where)
    existing = await hub.store.count_deliveries(replace(where, subscription_ids=tuple(known)))
    sendable = replace(where, subscription_ids=enabled)
    count = await hub.store.count_deliveries(sendable)
    reasons = {"subscription_deleted": total - existing, "subscription_disabled": existing - count}
    return sendable, {reason: n for reason, n in reasons.items() if n}


@accepts(*BULK_FIELDS)
async def replay_deliveries(request: Request) -> JSONResponse:
    """Bulk replay by filter (status defaults to failed): how many were queued, and how many
    match still (``limit`` caps one call; ``dry_run`` queues nothing)."""
    hub = hub_of(request)
    params, limit, dry_run = await _bulk(request, BULK_FIELDS)
    where = delivery_filter(params, DeliveryStatus.FAILED, hub.clock.now())
    if where.status == DeliveryStatus.PENDING:
        raise InvalidParameter("pending deliveries are already queued; retry them instead")
    where, skipped = await _sendable_only(request, where)
    if dry_run:
        audit_dry_run(request)
        return await _preview(hub, where, skipped)
    queued = await hub.store.replay_many(where, hub.clock.now(), limit)
    remaining = await hub.store.count_deliveries(where)
    hub.worker.notify()
    return JSONResponse({"queued": queued, "remaining": remaining, "skipped": skipped}, 202)


@accepts(*RETRY_FIELDS)
async def retry_deliveries(request: Request) -> JSONResponse:
    """Bulk retry now: pending deliveries that wait out a backoff, by the same filters."""
    hub = hub_of(request)
    params, limit, dry_run = await _bulk(request, RETRY_FIELDS)
    now = hub.clock.now()
    where = delivery_filter(params, DeliveryStatus.PENDING, now)
    if where.subscription_id is not None:
        _sendable(hub, where.subscription_id)
    waiting = DeliveryFilter(
        status=DeliveryStatus.PENDING, subscription_id=where.subscription_id,
        event_type=where.event_type, since=where.since, subject=where.subject, due_after=now,
    )  # fmt: skip
    waiting, skipped = await _sendable_only(request, waiting)
    if dry_run:
        audit_dry_run(request)
        return await _preview(hub, waiting, skipped)
    retried = await hub.store.retry_now_many(waiting, now, limit)
    remaining = await hub.store.count_deliveries(waiting)
    hub.worker.notify()
    return JSONResponse({"retried": retried, "remaining": remaining, "skipped": skipped}, 202)


ROUTES = [
    Route("/deliveries", list_deliveries, methods=["GET"]),
    Route("/deliveries/replay", replay_deliveries, methods=["POST"]),
    Route("/deliveries/retry", retry_deliveries, methods=["POST"]),
    Route("/deliveries/{id}", get_delivery, methods=["GET"]),
    Route("/deliveries/{id}/replay", replay_delivery, methods=["POST"]),
    Route("/deliveries/{id}/retry", retry_delivery, methods=["POST"]),
]
