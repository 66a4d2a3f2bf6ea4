"""The subscriptions and tokens API, for low-code flows and the admins who give them tokens.

Zapier REST Hooks: ``POST /api/subscriptions`` with ``target_url`` and ``event`` answers ``201``
with ``id`` and the signing secret (shown once); ``DELETE /api/subscriptions/{id}``
unsubscribes. Power Automate / Logic Apps: the subscribe call carries ``callbackUrl`` (or
``callback_url``, ``hub.callback``); the ``Location`` it gets back is what the flow ``DELETE``s.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.api import registration, tokens
from hub.api.audit import audit_names
from hub.api.auth import principal
from hub.api.params import accepts, hub_of, json_object, lifetime_param
from hub.api.services import Hub
from hub.clock import rfc3339_or_none
from hub.errors import Conflict, Forbidden, InvalidParameter, NotFound, SchemaViolation, Violation
from hub.model import DeliveryFilter, DeliveryStatus, SubscriptionState
from hub.outbound import consent
from hub.outbound.subscriptions import Subscription

DEFAULT_GRACE = 86_400.0
MAX_GRACE = 30 * 86_400.0
VALIDATION_WAIT = 5.0


def render_subscription(s: Subscription, active: bool) -> dict[str, Any]:
    """A subscription as the API shows it; secrets never appear."""
    state = str(s.state) if active else str(SubscriptionState.DISABLED)
    doc: dict[str, Any] = {
        "id": s.id,
        "url": s.url,
        "events": list(s.events),
        "company": s.company,
        "filter": s.filter.source if s.filter is not None else None,
        "headers": sorted(s.headers),  # names only: values often carry credentials
        "timeout": s.timeout,
        "retry": {"schedule": list(s.retry.schedule), "jitter": s.retry.jitter},
        "origin": s.origin,
        "read_only": s.origin == "file",
        "state": state,
        "validated_by": s.validated_by,
        "validation": s.validation_note,
        "expiration_date": rfc3339_or_none(s.expires_at),
        "description": s.description,
        "owner": s.owner,
        "partner": s.partner,
        "created_at": rfc3339_or_none(s.created_at),
        "secrets": len(s.secrets),
        "rate_limit": s.rate_limit,
        "max_in_flight": s.max_in_flight,
        "ordered": s.ordered,
        "content_mode": s.content_mode,
        "batch": {"size": s.batch.size, "max_wait": s.batch.max_wait} if s.batch else None,
    }
    return doc


def own_subscription(request: Request) -> Subscription:
    """The subscription in the path, if the caller may see it (404 otherwise, not 403:
    a scoped token learns nothing of others' ids)."""
    found = hub_of(request).registry.get(request.path_params["id"])
    if found is None or not principal(request).owns(found.owner, found.partner):
        raise NotFound(f"no subscription {request.path_params['id'][:64]!r}")
    return found


def _location(request: Request, sub_id: str) -> str:
    return str(request.url_for("subscription", id=sub_id))


async def _save(hub: Hub, sub: Subscription) -> None:
    await hub.store.put_document("subscription", sub.id, registration.to_document(sub))
    hub.registry.put(sub)


async def _validate(hub: Hub, sub: Subscription, skip: bool) -> Subscription:
    """Run the consent handshake unless skipped or trusted; the result is stored."""
    patterns = [p.strip() for p in hub.settings.trusted_callback_hosts.split(",") if p.strip()]
    method: str | None
    if skip:
        method, detail = "skipped", "validation skipped by an admin"
    elif consent.trusted(sub.url, patterns):
        method, detail = "trusted", "a trusted low-code callback host"
    else:
        origin = hub.settings.origin
        verdict = await consent.handshake(hub.http, sub.url, origin, VALIDATION_WAIT)
        method, detail = verdict.method, verdict.detail
    state = SubscriptionState.PENDING_VALIDATION
    if method is None:
        data = {"subscription_id": sub.id, "url": sub.url, "detail": detail}
        await hub.ingestor.emit(
            "hub.subscription.validation_failed", data, f"subscription/{sub.id}"
        )
    else:
        paused = sub.state == SubscriptionState.PAUSED
        state = SubscriptionState.PAUSED if paused else SubscriptionState.ACTIVE
    return replace(sub, state=state, validated_by=method, validation_note=detail)


def _within_allowance(hub: Hub, sub: Subscription) -> None:
    """A partner's subscription asks only for what the partner may see: a wider type pattern
    or another company is refused with 422 naming the field (narrowing it silently would
    leave a flow waiting for events that never come). A subscription with no company is
    narrowed to the partner's companies when it routes.

    Raises:
        SchemaViolation
    """
    partner = hub.partners.get(sub.partner)
    if sub.partner is None or partner is None:
        return
    allowance = partner.allowance
    allowed = ", ".join(allowance.types)
    problems = [
        Violation(f"/events/{i}", f"{p!r} is wider than partner {partner.name}'s allowance "
                                  f"({allowed})")
        for i, p in enumerate(sub.events) if not allowance.covers(p)
    ]  # fmt: skip
    if sub.company is not None and not allowance.admits_company(sub.company):
        problems.append(
            Violation(
                "/company",
                f"{sub.company[:64]!r} is not among partner "
                f"{partner.name}'s companies ({', '.join(allowance.companies)})",
            )
        )
    if problems:
        raise SchemaViolation("the subscription is wider than the partner's allowance", problems)


@accepts()
async def create_subscription(request: Request) -> Response:
    return await _create(request, await json_object(request))


@accepts()
async def subscribe_to_type(request: Request) -> Response:
    """A subscription to the one type in the path: each trigger of a low-code connector is
    its own operation, so the connector never names the type in a body."""
    body = await json_object(request)
    if "event" in body or "events" in body:
        problem = Violation("/events", "the path names the event type")
        raise SchemaViolation("the subscription is not valid", [problem])
    return await _create(request, {**body, "events": [request.path_params["type"]]})


async def _create(request: Request, body: dict[str, Any]) -> Response:
    hub = hub_of(request)
    who = principal(request)
    now = hub.clock.now()
    sub, secret = registration.subscription_from_body(
        body, who.token_id, hub.catalog, now, who.partner
    )
    _within_allowance(hub, sub)
    skip = bool(body.get("skip_validation", False))
    if skip and not who.admin:
        raise Forbidden("only an admin token may skip target validation")
    sub = await _validate(hub, sub, skip)
    await _save(hub, sub)
    audit_names(request, subscription_id=sub.id)
    doc = render_subscription(sub, True) | {"secret": secret}
    location = _location(request, sub.id)
    return JSONResponse(doc, 201, headers={"Location": location})


@accepts()
async def list_subscriptions(request: Request) -> JSONResponse:
    registry = hub_of(request).registry
    who = principal(request)
    items = [
        render_subscription(s, registry.is_active(s.id))
        for s in registry.all()
        if who.owns(s.owner, s.partner) and (who.admin or s.origin == "api")
    ]
    return JSONResponse({"items": items, "next_cursor": None})


@accepts()
async def get_subscription(request: Request) -> JSONResponse:
    """A subscription with its health: last success, current failures, pending deliveries."""
    hub = hub_of(request)
    sub = own_subscription(request)
    health = hub.registry.health(sub.id)
    pending = await hub.store.count_deliveries(
        DeliveryFilter(status=DeliveryStatus.PENDING, subscription_id=sub.id)
    )
    doc = render_subscription(sub, hub.registry.is_active(sub.id))
    doc["health"] = {
        "last_success_at": rfc3339_or_none(health.last_success_at),
        "failing_since": rfc3339_or_none(health.failing_since),
        "consecutive_failures": health.failures,
        "pending": pending,
    }
    if sub.ordered:
        blocked = await hub.store.blocked_subjects(sub.id, 50)
        doc["blocked"] = [
            {"subject": subject, "head_delivery_id": head, "waiting": waiting}
            for subject, head, waiting in blocked
        ]
    return JSONResponse(doc)


@accepts()
async def patch_subscription(request: Request) -> JSONResponse:
    """Pause, resume or change an API subscription; enable or disable any (admin)."""
    hub = hub_of(request)
    sub = own_subscription(request)
    body = await json_object(request)
    if "active" in body:
        return await _set_active(request, sub, body)
    if sub.origin == "file":
        raise Conflict("subscriptions from subscriptions.yaml are read-only; change the file")
    updated = registration.patched(sub, body, hub.catalog, hub.clock.now())
    _within_allowance(hub, updated)
    await _save(hub, updated)
    if sub.state != SubscriptionState.ACTIVE and updated.state == SubscriptionState.ACTIVE:
        await hub.store.reschedule(sub.id, hub.clock.now())  # held deliveries go out now
        hub.worker.notify()
    return JSONResponse(render_subscription(updated, hub.registry.is_active(updated.id)))


async def _set_active(request: Request, sub: Subscription, body: dict[str, Any]) -> JSONResponse:
    hub = hub_of(request)
    if not principal(request).admin:
        raise Forbidden('only an admin enables or disables; pause with {"state": "paused"}')
    if set(body) != {"active"} or not isinstance(body["active"], bool):
        raise InvalidParameter('send {"active": true|false} alone')
    reason = "enabled by an admin" if body["active"] else "disabled by an admin"
    await hub.store.set_subscription_active(sub.id, body["active"], reason, hub.clock.now())
    hub.registry.set_active(sub.id, body["active"])
    return JSONResponse(render_subscription(sub, body["active"]))


@accepts()
async def delete_subscription(request: Request) -> Response:
    """Unsubscribe: what Zapier sends when a Zap is turned off, and Power Automate to Location."""
    hub = hub_of(request)
    sub = own_subscription(request)
    if sub.origin == "file":
        raise Conflict("subscriptions from subscriptions.yaml are read-only; change the file")
    await _unsubscribe(hub, sub)
    return Response(status_code=204)


@accepts("callback_url", "callbackUrl")
async def delete_by_callback(request: Request) -> Response:
    """Unsubscribe by target: ``DELETE /api/subscriptions?callback_url=<url>``, for flows whose
    unsubscribe step knows its own callback URL but not the id it was given."""
    hub = hub_of(request)
    who = principal(request)
    url = request.query_params.get("callback_url") or request.query_params.get("callbackUrl")
    if not url:
        raise InvalidParameter("name the target: ?callback_url=<the URL it subscribed>")
    found = [
        s
        for s in hub.registry.all()
        if s.origin == "api" and s.url == url and who.owns(s.owner, s.partner)
    ]
    if not found:
        raise NotFound("no subscription of yours has that callback URL")
    for sub in found:
        await _unsubscribe(hub, sub)
    return Response(status_code=204)


async def _unsubscribe(hub: Hub, sub: Subscription) -> None:
    await hub.store.set_subscription_active(sub.id, False, "unsubscribed", hub.clock.now())
    await hub.store.delete_document("subscription", sub.id)
    hub.registry.remove(sub.id)
    # Its failures are nobody's to fix any more: its delivery issues resolve.
    await hub.issues.recovered(("delivery",), sub.id)


@accepts()
async def rotate_secret(request: Request) -> JSONResponse:
    """A new signing secret; the old one keeps signing for ``grace_seconds`` (default a day)."""
    hub = hub_of(request)
    sub = own_subscription(request)
    if sub.origin == "file":
        raise Conflict("rotate a file subscription's secret in subscriptions.yaml")
    body = await json_object(request, ("grace_seconds",))
    grace = body.get("grace_seconds", DEFAULT_GRACE)
    if not isinstance(grace, int | float) or isinstance(grace, bool) or not 0 <= grace <= MAX_GRACE:
        raise InvalidParameter(f"grace_seconds must be 0..{MAX_GRACE:g}")
    now = hub.clock.now()
    updated, secret = registration.rotated(sub, float(grace), now)
    await _save(hub, updated)
    return JSONResponse(
        render_subscription(updated, hub.registry.is_active(sub.id))
        | {"secret": secret, "previous_secret_expires_at": rfc3339_or_none(now + float(grace))}
    )


@accepts()
async def validate_subscription(request: Request) -> JSONResponse:
    """Ask the target for consent again (after fixing it)."""
    hub = hub_of(request)
    await json_object(request, ())
    sub = own_subscription(request)
    if sub.origin == "file":
        raise Conflict("file subscriptions are not validated")
    updated = await _validate(hub, sub, False)
    await _save(hub, updated)
    waiting = sub.state == SubscriptionState.PENDING_VALIDATION
    if waiting and updated.state == SubscriptionState.ACTIVE:
        await hub.store.reschedule(sub.id, hub.clock.now())
        hub.worker.notify()
    return JSONResponse(render_subscription(updated, hub.registry.is_active(sub.id)))


@accepts()
async def create_token(request: Request) -> JSONResponse:
    """``{"name", "partner", "expires_in"}``: a token for a partner's flow, shown once."""
    hub = hub_of(request)
    _admin_only(request)
    body = await json_object(request, ("name", "partner", "expires_in"))
    name = body.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= 100:
        raise InvalidParameter('send {"name": "<who the token is for>"}')
    partner = body.get("partner")
    if partner is not None and (not isinstance(partner, str) or hub.partners.get(partner) is None):
        raise SchemaViolation(
            "the token is not valid",
            [Violation("/partner", "not an active partner: GET /api/partners")],
        )
    now = hub.clock.now()
    lifetime = lifetime_param(body, "expires_in", None)
    expires_at = now + lifetime if lifetime is not None else None
    token, value = tokens.new_token(name, now, partner, expires_at)
    await hub.store.put_document("token", token.id, tokens.to_document(token))
    hub.tokens.put(token)
    audit_names(request, token_id=token.id, token_name=name)  # never its value
    return JSONResponse(render_token(token, now) | {"token": value}, 201)


def render_token(token: tokens.Token, now: float) -> dict[str, Any]:
    return {"id": token.id, "name": token.name, "partner": token.partner,
            "created_at": rfc3339_or_none(token.created_at),
            "expires_at": rfc3339_or_none(token.expires_at),
            "state": "active" if token.valid(now) else "expired"}  # fmt: skip


@accepts()
async def list_tokens(request: Request) -> JSONResponse:
    _admin_only(request)
    hub = hub_of(request)
    items = [render_token(t, hub.clock.now()) for t in hub.tokens.all()]
    return JSONResponse({"items": items, "next_cursor": None})


@accepts()
async def delete_token(request: Request) -> Response:
    """Revoke a token: refused from its next request on."""
    hub = hub_of(request)
    _admin_only(request)
    token = hub.tokens.remove(request.path_params["id"])
    if token is None:
        raise NotFound(f"no token {request.path_params['id'][:64]!r}")
    await hub.store.delete_document("token", token.id)
    return Response(status_code=204)


def _admin_only(request: Request) -> None:
    if not principal(request).admin:
        raise Forbidden("only the admin token manages tokens")


ROUTES = [
    Route("/subscriptions", create_subscription, methods=["POST"]),
    Route("/event-types/{type}/subscriptions", subscribe_to_type, methods=["POST"]),
    Route("/subscriptions", list_subscriptions, methods=["GET"]),
    Route("/subscriptions", delete_by_callback, methods=["DELETE"]),
    Route("/subscriptions/{id}", get_subscription, methods=["GET"], name="subscription"),
    Route("/subscriptions/{id}", patch_subscription, methods=["PATCH"]),
    Route("/subscriptions/{id}", delete_subscription, methods=["DELETE"]),
    Route("/subscriptions/{id}/rotate-secret", rotate_secret, methods=["POST"]),
    Route("/subscriptions/{id}/validate", validate_subscription, methods=["POST"]),
    Route("/tokens", create_token, methods=["POST"]),
    Route("/tokens", list_tokens, methods=["GET"]),
    Route("/tokens/{id}", delete_token, methods=["DELETE"]),
]
