"""The console's pages: each reads what it shows from the admin API, with the filters of its
query string, so that every page is a link an admin can paste into a ticket."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from hub.console.visit import Visit, admin_page, page

PAGE = 50
EVENT_FILTERS = ("type", "connector", "subject", "company", "since", "until", "cursor")
DELIVERY_FILTERS = ("status", "subscription", "event_type", "subject", "since", "cursor")
OBJECT_FILTERS = ("type", "status", "state", "overdue", "q", "cursor")


def _picked(visit: Visit, names: tuple[str, ...]) -> dict[str, str]:
    q = visit.request.query_params
    return {n: q[n] for n in names if q.get(n)}


@page
async def overview(visit: Visit) -> Response:
    if not visit.who.admin:
        subs = await visit.get("/subscriptions")
        return visit.render("overview_scoped.html", subscriptions=subs["items"])
    figures, issues = await asyncio.gather(
        visit.get("/overview"), visit.get("/issues", {"status": "open", "limit": "10"})
    )
    return visit.render("overview.html", figures=figures, issues=issues["items"])


@page
async def search(visit: Visit) -> Response:
    q = visit.request.query_params.get("q", "").strip()
    hits: list[dict[str, Any]] = []
    problem, status = None, 200
    if q:
        answer = await visit.api("GET", "/search", {"q": q[:200]})
        if answer.ok:
            hits = answer.doc["items"]
        else:
            problem, status = answer.problem, answer.status
    exact = [h for h in hits if h["id"] == q]
    if len(hits) == 1 or len(exact) == 1:  # one hit, or the record the id names: its page
        return visit.redirect(hit_link((exact or hits)[0]))
    return visit.render("search.html", status, query=q, hits=hits, problem=problem, link=hit_link)


def hit_link(hit: dict[str, Any]) -> str:
    kind = hit["kind"]
    if kind == "object":
        return f"/console/objects/{quote(hit['type'])}/{quote(hit['key'], safe='')}"
    plural = {"event": "events", "delivery": "deliveries", "receipt": "receipts"}[kind]
    return f"/console/{plural}/{quote(hit['id'])}"


@page
async def events(visit: Visit) -> Response:
    found = await visit.get("/events", _picked(visit, EVENT_FILTERS) | {"limit": str(PAGE)})
    types = await visit.get("/event-types")
    connectors = sorted(visit.hub.ingestor.names())
    return visit.render("events.html", page=found, types=[t["type"] for t in types["items"]],
                        connectors=connectors)  # fmt: skip


@page
async def event(visit: Visit) -> Response:
    doc = await visit.get(f"/events/{quote(visit.request.path_params['id'])}")
    receipt = None
    if doc.get("receipt_id"):
        answer = await visit.api("GET", f"/receipts/{quote(doc['receipt_id'])}")
        receipt = answer.doc if answer.ok else None
    moved = await _object_of(visit, doc.get("subject"))
    return visit.render("event.html", event=doc, receipt=receipt, moved=moved)


async def _object_of(visit: Visit, subject: str | None) -> dict[str, Any] | None:
    """The business object an event or delivery is about, by its subject (``order/1042``),
    when the rules track that type and the token may see it."""
    kind, _, key = (subject or "").partition("/")
    if not key:
        return None
    answer = await visit.api("GET", f"/objects/{quote(kind)}/{quote(key, safe='')}")
    return answer.doc if answer.ok else None


@page
async def deliveries(visit: Visit) -> Response:
    filters = _picked(visit, DELIVERY_FILTERS)
    subs = (await visit.get("/subscriptions"))["items"]
    if not visit.who.admin and not subs:
        return visit.render("deliveries.html", page=None, subscriptions=[], filters=filters)
    found = await visit.get("/deliveries", filters | {"limit": str(PAGE)})
    return visit.render("deliveries.html", page=found, subscriptions=subs, filters=filters)


@page
async def delivery(visit: Visit) -> Response:
    doc = await visit.get(f"/deliveries/{quote(visit.request.path_params['id'])}")
    moved = await _object_of(visit, doc.get("subject"))
    return visit.render("delivery.html", delivery=doc, moved=moved)


async def _with_health(visit: Visit, sub: dict[str, Any]) -> dict[str, Any]:
    answer = await visit.api("GET", f"/subscriptions/{quote(sub['id'])}")
    return answer.doc if answer.ok else sub


@page
async def subscriptions(visit: Visit) -> Response:
    listed = (await visit.get("/subscriptions"))["items"][:200]
    detailed = await asyncio.gather(*(_with_health(visit, s) for s in listed))
    return visit.render("subscriptions.html", subscriptions=detailed)


@page
async def subscription(visit: Visit) -> Response:
    sub_id = visit.request.path_params["id"]
    doc = await visit.get(f"/subscriptions/{quote(sub_id)}")
    recent = await visit.get("/deliveries", {"subscription": sub_id, "limit": "20"})
    return visit.render("subscription.html", sub=doc, recent=recent["items"])


@admin_page
async def rejections(visit: Visit) -> Response:
    found = await visit.get("/rejections", _picked(visit, ("cursor",)) | {"limit": "20"})
    return visit.render("rejections.html", page=found)


@admin_page
async def receipts(visit: Visit) -> Response:
    wanted = _picked(visit, ("status", "cursor")) | {"limit": str(PAGE)}
    found = await visit.get("/receipts", wanted)
    return visit.render("receipts.html", page=found)


@admin_page
async def receipt(visit: Visit) -> Response:
    doc = await visit.get(f"/receipts/{quote(visit.request.path_params['id'])}")
    return visit.render("receipt.html", receipt=doc)


@page
async def catalog(visit: Visit) -> Response:
    found = await visit.get("/event-types")
    return visit.render("catalog.html", types=found["items"])


@page
async def event_type(visit: Visit) -> Response:
    name = visit.request.path_params["type"]
    found = await visit.get("/event-types")
    entry = next((t for t in found["items"] if t["type"] == name), None)
    if entry is None:
        return visit.render("problem.html", 404, problem=None, missing=f"no event type {name}")
    return visit.render("event_type.html", entry=entry)


@page
async def objects(visit: Visit) -> Response:
    found = await visit.get("/objects", _picked(visit, OBJECT_FILTERS) | {"limit": str(PAGE)})
    return visit.render("objects.html", page=found, types=sorted(visit.hub.rules.types))


@page
async def business_object(visit: Visit) -> Response:
    params = visit.request.path_params
    doc = await visit.get(f"/objects/{quote(params['type'])}/{quote(params['key'], safe='')}")
    return visit.render("object.html", obj=doc)


@page
async def issues(visit: Visit) -> Response:
    found = await visit.get("/issues", _picked(visit, ("status", "cursor")) | {"limit": "100"})
    return visit.render("issues.html", page=found)


@admin_page
async def audit(visit: Visit) -> Response:
    wanted = _picked(visit, ("actor", "action", "since", "cursor")) | {"limit": str(PAGE)}
    return visit.render("audit.html", page=await visit.get("/audit", wanted))
