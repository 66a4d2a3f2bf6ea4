"""Business objects: where an order, customer or vendor stands across every system.

``GET /api/objects`` lists them by type, status, state, company, overdue deadline or any alias
(``q``); ``GET /api/objects/{type}/{key}`` shows one, found by any alias (``#1042``, a Shopify
id, a D365 sales order, a tracking number), with its status, references, facts, timeline of
events from every system, their deliveries, its logbook and pending deadline.
``POST /api/objects/{type}/{key}/transitions`` moves it by hand under the same rules, and
``POST /api/objects/{type}/transitions`` moves every object that matches, in bundles, answering
with the counts moved, fallen back and refused (a dry run counts without moving).
``POST /api/state/rebuild`` replays the event log through today's rules (`hub.state.rebuild`).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.api.audit import audit_dry_run
from hub.api.auth import principal, view_of
from hub.api.params import (
    DEFAULT_LIMIT,
    PAGE,
    accepts,
    bool_param,
    hub_of,
    int_param,
    json_object,
    page_response,
    text_param,
)
from hub.api.render import render_delivery, render_event
from hub.api.services import Hub
from hub.api.tokens import Principal
from hub.api.visible import page_for, reading_view
from hub.clock import rfc3339_or_none
from hub.errors import (
    PROBLEM_BASE,
    Forbidden,
    InvalidParameter,
    NotFound,
    SchemaViolation,
    Violation,
)
from hub.filters import parse_filter
from hub.model import BusinessObject, DeliveryFilter, Event, ObjectFilter
from hub.problem import problem_response
from hub.state.apply import references
from hub.state.correlate import aliases_of, implied_only
from hub.state.transitions import TransitionOutcome

TIMELINE = 200  # events shown on an object's page


def render_object(obj: BusinessObject, now: float) -> dict[str, Any]:
    return {
        "id": obj.id,
        "type": obj.type,
        "key": obj.key,
        "status": obj.status,
        "state": obj.state,
        "reason": obj.reason,
        "since": rfc3339_or_none(obj.since),
        "seconds_in_status": round(max(0.0, now - obj.since), 3),
        "company": obj.company,
        "references": references(obj.aliases),
        "aliases": list(obj.aliases),
        "facts": obj.facts,
        "created_at": rfc3339_or_none(obj.created_at),
        "updated_at": rfc3339_or_none(obj.updated_at),
    }


def _types(hub: Hub, name: str) -> None:
    if name not in hub.rules.types:
        known = ", ".join(sorted(hub.rules.types)) or "none: business state is off (HUB_RULES)"
        raise NotFound(f"no rules for objects of type {name[:64]!r} (known: {known})")


@accepts("type", "status", "state", "company", "overdue", "q", *PAGE)
async def list_objects(request: Request) -> JSONResponse:
    hub = hub_of(request)
    q = request.query_params
    if q.get("type"):
        _types(hub, q["type"])
    now = hub.clock.now()
    where = ObjectFilter(
        type=text_param(q, "type"),
        status=text_param(q, "status"),
        state=text_param(q, "state"),
        company=text_param(q, "company"),
        overdue_at=now if bool_param(q, "overdue") else None,
        text=text_param(q, "q"),
    )
    limit = int_param(q, "limit", DEFAULT_LIMIT, 1, 500)
    view = reading_view(request)
    found = await page_for(view, lambda c, n: hub.store.list_objects(where, c, n),
                           q.get("cursor"), limit, view.object)  # fmt: skip
    return page_response([render_object(o, now) for o in found.items], found.next_cursor)


async def _object(request: Request) -> BusinessObject:
    hub = hub_of(request)
    object_type, key = request.path_params["type"], request.path_params["key"]
    _types(hub, object_type)
    found = await hub.store.find_object(object_type, key)
    if found is None or not view_of(request).object(found):
        raise NotFound(f"no {object_type} known as {key[:100]!r}")
    return found


@accepts()
async def get_object(request: Request) -> JSONResponse:
    """One object with everything known of it that the caller may see: a partner's timeline
    holds the events its allowance admits, with its own deliveries only."""
    hub = hub_of(request)
    obj = await _object(request)
    view = view_of(request)
    own = None if view.admin else tuple(sorted(view.subscriptions))
    events = [e for e in await hub.store.timeline(obj.id, TIMELINE) if view.event(e)]
    timeline = []
    for event in events:
        shown = render_event(event) | {"receipt_id": event.receipt_id if view.admin else None}
        deliveries = await hub.store.list_deliveries(
            DeliveryFilter(event_id=event.id, subscription_ids=own), None, 50
        )
        shown["deliveries"] = [render_delivery(d) for d in deliveries.items]
        timeline.append(shown)
    who = principal(request)
    doc = render_object(obj, hub.clock.now())
    doc["linked_references"] = references(_linked(hub, obj, events))
    doc["timeline"] = timeline
    doc["logbook"] = [
        {"at": rfc3339_or_none(e.at), "trigger": e.trigger, "outcome": e.outcome,
         "from_status": e.from_status, "to_status": e.to_status, "message": e.message,
         "event_id": e.event_id, "created_by": _shown_actor(hub, who, e.created_by)}
        for e in await hub.store.logbook(obj.id, 200)
    ]  # fmt: skip
    doc["deadlines"] = [
        {"status": d.status, "since": rfc3339_or_none(d.since),
         "due_at": rfc3339_or_none(d.due_at), "emit": d.emit}
        for d in await hub.store.deadlines(obj.id)
    ]  # fmt: skip
    return JSONResponse(doc)


def _linked(hub: Hub, obj: BusinessObject, events: list[Event]) -> tuple[str, ...]:
    """The object's aliases that only a declared link implies, judged from the events shown
    (one sent before the timeline's window counts as sent unless a link derives it)."""
    sent: set[str] = set()
    for event in events:
        data = json.loads(event.data_json)
        if isinstance(data, dict):
            sent.update(aliases_of(data, event.subject, obj.type))
    return tuple(sorted(implied_only(obj.aliases, sent, hub.rules.links)))


@accepts()
async def transition_object(request: Request) -> Response:
    """A manual transition: 200 moved, 409 a condition failed (with any fallback taken),
    422 not allowed from the current status."""
    hub = hub_of(request)
    body = await json_object(request, ("to", "message", "force"))
    target = text_param(body, "to")
    if target is None:
        raise InvalidParameter('name the status: {"to": "<status>"}')
    message = text_param(body, "message")
    force = bool_param(body, "force")
    who = principal(request)
    obj = await _object(request)
    name = "admin" if who.admin else who.partner or who.name
    if force and not who.admin and not _may_force(hub, obj.type, target, _scopes(hub, who)):
        raise Forbidden(f"{name!r} is in no force_scopes of a transition to {target}")
    moved, decision = await hub.tracker.transition(obj, target, message, force, name)
    doc = render_object(moved, hub.clock.now()) | {
        "outcome": str(decision.outcome), "message": decision.message}  # fmt: skip
    if decision.outcome is TransitionOutcome.NOT_ALLOWED:
        raise SchemaViolation(decision.message or "not allowed", [Violation("/to", target)])
    if decision.outcome in (TransitionOutcome.REFUSED, TransitionOutcome.FALLBACK):
        taken = f"; it went to the fallback {moved.status}" if decision.changes else ""
        return problem_response({
            "type": PROBLEM_BASE + "transition-refused", "title": "Transition refused",
            "status": 409, "detail": f"{decision.message}{taken}",
            "instance": request.url.path, "outcome": str(decision.outcome), "object": doc,
        })  # fmt: skip
    return JSONResponse(doc)


@accepts()
async def bulk_transition(request: Request) -> JSONResponse:
    """Many objects at once: ``{"from", "to", "filter", "message", "force", "dry_run"}``."""
    hub = hub_of(request)
    object_type = request.path_params["type"]
    _types(hub, object_type)
    body = await json_object(request, ("from", "to", "filter", "message", "force", "dry_run"))
    rules = hub.rules.types[object_type]
    target = text_param(body, "to")
    if target is None:
        raise InvalidParameter('name the status: {"to": "<status>"}')
    source = text_param(body, "from")
    for name, value in (("from", source), ("to", target)):
        if value is not None and value not in rules.statuses:
            raise SchemaViolation(f"{value[:64]!r} is not a status of {object_type}",
                                  [Violation(f"/{name}", value[:64])])  # fmt: skip
    where = parse_filter(body["filter"], "/filter") if body.get("filter") is not None else None
    if bool_param(body, "dry_run"):
        audit_dry_run(request)
    # Admins only (scoped tokens do not reach this route), and admins may always force.
    result = await hub.tracker.bulk(
        object_type, source, target, where, text_param(body, "message"),
        bool_param(body, "force"), "admin", bool_param(body, "dry_run"),
    )  # fmt: skip
    return JSONResponse(result.render())


@accepts()
async def rebuild_state(request: Request) -> JSONResponse:
    """Replay the event log through today's rules: ``{"type", "dry_run", "emit"}``."""
    hub = hub_of(request)
    body = await json_object(request, ("type", "dry_run", "emit"))
    chosen = text_param(body, "type")
    if chosen is not None:
        _types(hub, chosen)
    types = [chosen] if chosen is not None else sorted(hub.rules.types)
    if not types:
        raise NotFound("business state is off (HUB_RULES): there is nothing to rebuild")
    if bool_param(body, "dry_run"):
        audit_dry_run(request)
    report = await hub.tracker.rebuild(types, bool_param(body, "dry_run"), bool_param(body, "emit"))
    return JSONResponse(report.render())


def _shown_actor(hub: Hub, who: Principal, created_by: str | None) -> str | None:
    """Who moved an object, as a partner may see it: a connector, the admin, or itself; any
    other partner's name is not its to know."""
    if (
        who.admin
        or created_by in (None, "admin", who.partner)
        or created_by in hub.ingestor.names()
    ):
        return created_by
    return "another partner"


def _scopes(hub: Hub, who: Principal) -> set[str]:
    """The force scopes a partner's caller holds: the partner's name and its force_scopes."""
    partner = hub.partners.get(who.partner)
    if partner is None:
        return set()
    return {partner.name, *partner.force_scopes}


def _may_force(hub: Hub, object_type: str, target: str, scopes: set[str]) -> bool:
    rules = hub.rules.types[object_type]
    return any(t.to == target and scopes & t.force_scopes for t in rules.transitions)


ROUTES = [
    Route("/objects", list_objects, methods=["GET"]),
    Route("/state/rebuild", rebuild_state, methods=["POST"]),
    Route("/objects/{type}/transitions", bulk_transition, methods=["POST"]),
    Route("/objects/{type}/{key}", get_object, methods=["GET"]),
    Route("/objects/{type}/{key}/transitions", transition_object, methods=["POST"]),
]
