"""``/api/partners`` (admin only): partners, their allowances, and portal links for them.

A partner declared in ``partners.yaml`` is read-only here apart from suspending it; one made
through the API may be changed and removed. Suspending or removing a partner ends its access at
once: its tokens are refused, its portal sessions end, and its subscriptions receive nothing
new until it is active again.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.access import partners, portal
from hub.access.partners import Partner
from hub.access.portal import DEFAULT_LIFETIME, PortalLink, parse_capabilities
from hub.api.audit import audit_names
from hub.api.params import accepts, bool_param, hub_of, json_object, lifetime_param
from hub.api.services import Hub
from hub.clock import rfc3339_or_none
from hub.errors import Conflict, InvalidParameter, NotFound, SchemaViolation, Violation

PORTAL_PATH = "/console/portal/"


def render_partner(hub: Hub, partner: Partner) -> dict[str, Any]:
    now = hub.clock.now()
    return partners.describe(partner) | {
        "origin": partner.origin,
        "read_only": partner.origin == "file",
        "active": not hub.partners.suspended(partner.name),
        "created_at": rfc3339_or_none(partner.created_at),
        "tokens": [t.id for t in hub.tokens.of_partner(partner.name) if t.valid(now)],
        "subscriptions": sorted(s.id for s in hub.registry.all() if s.partner == partner.name),
    }


def render_link(link: PortalLink, now: float) -> dict[str, Any]:
    return {
        "id": link.id,
        "partner": link.partner,
        "capabilities": sorted(link.capabilities),
        "created_at": rfc3339_or_none(link.created_at),
        "expires_at": rfc3339_or_none(link.expires_at),
        "used_at": rfc3339_or_none(link.used_at),
        "state": link.state(now),
    }


def _partner(request: Request) -> Partner:
    found = hub_of(request).partners.known(request.path_params["name"])
    if found is None:
        raise NotFound(f"no partner {request.path_params['name'][:64]!r}")
    return found


def _checked(hub: Hub, body: dict[str, Any], created_at: float | None) -> Partner:
    """Raises: SchemaViolation, naming every field at fault."""
    problems = partners.partner_problems(body, hub.catalog)
    if problems:
        found = [Violation(f"/{k}" if k else "", m) for k, m in problems]
        raise SchemaViolation("the partner is not valid", found)
    return partners.partner_from(body, "api", created_at)


async def _save(hub: Hub, partner: Partner) -> None:
    await hub.store.put_document("partner", partner.name, partners.to_document(partner))
    hub.partners.put(partner)
    hub.registry.set_allowances(hub.partners.allowances())


@accepts()
async def list_partners(request: Request) -> JSONResponse:
    hub = hub_of(request)
    items = [render_partner(hub, p) for p in hub.partners.all()]
    return JSONResponse({"items": items, "next_cursor": None})


@accepts()
async def create_partner(request: Request) -> JSONResponse:
    hub = hub_of(request)
    body = await json_object(request, partners.KEYS)
    partner = _checked(hub, body, hub.clock.now())
    if hub.partners.known(partner.name) is not None:
        raise Conflict(f"there is a partner {partner.name!r} already")
    await _save(hub, partner)
    audit_names(request, partner=partner.name)
    return JSONResponse(render_partner(hub, partner), 201)


@accepts()
async def get_partner(request: Request) -> JSONResponse:
    hub = hub_of(request)
    return JSONResponse(render_partner(hub, _partner(request)))


@accepts()
async def patch_partner(request: Request) -> JSONResponse:
    """Change an API partner's allowance (``name`` stays), or ``{"active": false|true}`` to
    suspend or restore any partner."""
    hub = hub_of(request)
    partner = _partner(request)
    body = await json_object(request, (*partners.KEYS, "active"))
    if "active" in body:
        if set(body) != {"active"}:
            raise InvalidParameter('send {"active": true|false} alone')
        await _set_active(hub, partner.name, bool_param(body, "active"))
        return JSONResponse(render_partner(hub, partner))
    if partner.origin == "file":
        raise Conflict("partners from partners.yaml are read-only; change the file")
    if body.get("name", partner.name) != partner.name:
        raise InvalidParameter("a partner's name does not change; make a new partner")
    merged = partners.describe(partner) | body | {"name": partner.name}
    updated = _checked(hub, {k: v for k, v in merged.items() if v is not None},
                       partner.created_at)  # fmt: skip
    await _save(hub, updated)
    return JSONResponse(render_partner(hub, updated))


async def _set_active(hub: Hub, name: str, active: bool) -> None:
    if active:
        await hub.store.delete_document("partner_suspended", name)
    else:
        await hub.store.put_document("partner_suspended", name, "{}")
    hub.partners.set_suspended(name, not active)
    hub.registry.set_allowances(hub.partners.allowances())


@accepts()
async def delete_partner(request: Request) -> Response:
    """Remove an API partner: its tokens and links go with it; its subscriptions stay, for
    the admin to see, and receive nothing."""
    hub = hub_of(request)
    partner = _partner(request)
    if partner.origin == "file":
        raise Conflict("partners from partners.yaml are removed from the file; "
                       'suspend one now with {"active": false}')  # fmt: skip
    for token in hub.tokens.of_partner(partner.name):
        await hub.store.delete_document("token", token.id)
        hub.tokens.remove(token.id)
    for link in hub.links.of_partner(partner.name):
        await _revoke(hub, link)
    await hub.store.delete_document("partner", partner.name)
    await hub.store.delete_document("partner_suspended", partner.name)
    hub.partners.remove(partner.name)
    hub.registry.set_allowances(hub.partners.allowances())
    return Response(status_code=204)


@accepts()
async def create_link(request: Request) -> JSONResponse:
    """A single-use sign-in link into the console's partner view: ``{"expires_in": "1h",
    "capabilities": ["manage", "replay", "rotate"]}`` (``view`` always). Shown once."""
    hub = hub_of(request)
    partner = _partner(request)
    if hub.partners.get(partner.name) is None:
        raise Conflict(f"partner {partner.name} is suspended; restore it first")
    body = await json_object(request, ("expires_in", "capabilities"))
    lifetime = lifetime_param(body, "expires_in", DEFAULT_LIFETIME)
    assert lifetime is not None
    capabilities = parse_capabilities(body.get("capabilities"))
    if capabilities is None:
        names = ", ".join(c.value for c in portal.Capability)
        raise InvalidParameter(f"capabilities must be a list of {names}")
    now = hub.clock.now()
    link, value = portal.new_link(partner.name, capabilities, lifetime, now)
    await hub.store.put_document("portal_link", link.id, portal.to_document(link))
    hub.links.put(link)
    audit_names(request, link_id=link.id)  # never the link itself
    # Where the admin reached the hub, unless a public URL is set (behind a proxy).
    base = hub.settings.public_url.rstrip("/") or f"{request.url.scheme}://{request.url.netloc}"
    url = base + PORTAL_PATH + value
    return JSONResponse(render_link(link, now) | {"url": url}, 201)


@accepts()
async def list_links(request: Request) -> JSONResponse:
    hub = hub_of(request)
    partner = _partner(request)
    now = hub.clock.now()
    items = [render_link(k, now) for k in hub.links.of_partner(partner.name)]
    return JSONResponse({"items": items, "next_cursor": None})


async def _revoke(hub: Hub, link: PortalLink) -> PortalLink:
    revoked = replace(link, revoked=True)
    await hub.store.put_document("portal_link", link.id, portal.to_document(revoked))
    hub.links.put(revoked)
    return revoked


@accepts()
async def revoke_link(request: Request) -> Response:
    """Revoke a link: unopened, it cannot be opened; opened, its session ends."""
    hub = hub_of(request)
    partner = _partner(request)
    link = hub.links.get(request.path_params["id"])
    if link is None or link.partner != partner.name:
        raise NotFound(f"no portal link {request.path_params['id'][:64]!r}")
    await _revoke(hub, link)
    return Response(status_code=204)


ROUTES = [
    Route("/partners", list_partners, methods=["GET"]),
    Route("/partners", create_partner, methods=["POST"]),
    Route("/partners/{name}", get_partner, methods=["GET"]),
    Route("/partners/{name}", patch_partner, methods=["PATCH"]),
    Route("/partners/{name}", delete_partner, methods=["DELETE"]),
    Route("/partners/{name}/portal-links", create_link, methods=["POST"]),
    Route("/partners/{name}/portal-links", list_links, methods=["GET"]),
    Route("/partners/{name}/portal-links/{id}", revoke_link, methods=["DELETE"]),
]
