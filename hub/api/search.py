"""``GET /api/search?q=``: one box that finds events, deliveries, receipts and business
objects by any id an admin has at hand; a partner's token finds only what its view admits.

It tries the hub's own ids, then every connector's delivery ids (``X-Shopify-Webhook-Id``, a
D365 ``EventId``), then the business objects' aliases and facts (an order number, a tracking
code, any system's reference), then text in event payloads (a full-text index, filled behind
ingest by `hub.store.indexer`, so a payload is found within about a second of its arrival).
Each probe is an indexed lookup, so a search costs the same on a store of a million events.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.access.view import EVERYTHING, View
from hub.api.params import accepts, hub_of, int_param
from hub.api.services import Hub
from hub.api.visible import reading_view
from hub.errors import InvalidParameter
from hub.model import ObjectFilter

MAX_QUERY = 200


def _hit(kind: str, hit_id: str, title: str, **more: Any) -> dict[str, Any]:
    return {"kind": kind, "id": hit_id, "title": title, **more}


async def _by_own_id(hub: Hub, q: str, view: View) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if (event := await hub.store.get_event(q)) is not None and view.event(event):
        found.append(_hit("event", event.id, f"{event.type} from {event.connector}"))
    if (delivery := await hub.store.get_delivery(q)) is not None and view.delivery(delivery):
        title = f"{delivery.event_type} to {delivery.subscription_id}: {delivery.status}"
        found.append(_hit("delivery", delivery.id, title))
    if view.admin and (receipt := await hub.store.get_receipt(q)) is not None:
        found.append(_hit("receipt", receipt.id, f"{receipt.connector}: {receipt.status}"))
    return found


async def _by_vendor_id(hub: Hub, q: str, view: View) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for connector in hub.ingestor.names():
        for event_id in await hub.store.find_receipt(connector, q) or []:
            event = await hub.store.get_event(event_id)
            if event is not None and view.event(event):
                title = f"{event.type} from {connector} (its delivery id)"
                found.append(_hit("event", event.id, title))
    return found


async def _by_alias(hub: Hub, q: str, limit: int, view: View) -> list[dict[str, Any]]:
    if not hub.rules.types:
        return []
    page = await hub.store.list_objects(ObjectFilter(alias=q), None, limit)
    return [
        _hit("object", o.id, f"{o.type} {o.key}: {o.status}", type=o.type, key=o.key)
        for o in page.items
        if view.object(o)
    ]


async def _by_payload(
    hub: Hub, q: str, limit: int, seen: set[str], view: View
) -> list[dict[str, Any]]:
    # A partner's matches are narrowed after the index answers: ask for more than the page.
    asked = limit if view.admin else min(limit * 10, 2_000)
    found = [e for e in await hub.store.search_text(q, asked) if view.event(e)]
    return [
        _hit("event", e.id, f"{e.type} from {e.connector} (its payload)")
        for e in found[:limit]
        if e.id not in seen
    ]


async def search_hits(
    hub: Hub, q: str, limit: int, view: View = EVERYTHING
) -> list[dict[str, Any]]:
    """Every kind of record the text names that the caller may see, most specific first: ids,
    then business objects, then events whose payload holds the text."""
    hits = [*await _by_own_id(hub, q, view), *await _by_vendor_id(hub, q, view)]
    hits += await _by_alias(hub, q, limit, view)
    if len(hits) < limit:
        seen = {h["id"] for h in hits}
        hits += await _by_payload(hub, q, limit - len(hits), seen, view)
    return hits[:limit]


@accepts("q", "limit")
async def search(request: Request) -> JSONResponse:
    q = request.query_params.get("q", "").strip()
    if not q:
        raise InvalidParameter("send ?q=<an id, order number, tracking code or reference>")
    if len(q) > MAX_QUERY:
        raise InvalidParameter(f"q must be at most {MAX_QUERY} characters")
    limit = int_param(request.query_params, "limit", 50, 1, 200)
    view = reading_view(request)
    return JSONResponse({"query": q, "items": await search_hits(hub_of(request), q, limit, view)})


ROUTES = [Route("/search", search, methods=["GET"])]
