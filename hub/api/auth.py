"""Who is calling `/api`: the admin token, or a scoped token within its routes.

`AdminAuth` is applied to the whole mount, so no route can forget it.
"""

from __future__ import annotations

import hmac
import re

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.access.portal import Capability
from hub.access.view import EVERYTHING, View
from hub.api.services import Hub
from hub.api.tokens import ADMIN, CONSOLE_PRINCIPAL, Principal, Token, token_hash
from hub.errors import Forbidden, Unauthorized
from hub.problem import error_response


def bearer_hash(authorization: str | None) -> str:
    """The SHA-256 of the presented bearer token.

    Raises:
        Unauthorized: no bearer token.
    """
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <token>")
    return token_hash(token.strip())


V, M, R, K = Capability.VIEW, Capability.MANAGE, Capability.REPLAY, Capability.ROTATE

# What a scoped token may reach, and the capability each route needs (a portal session has
# only those its link gave; a token has every one). What it then sees there is its `View`.
SCOPED_ROUTES = [
    ("GET", re.compile(r"^/event-types(/[^/]+/message-schema)?$"), V),
    ("GET", re.compile(r"^/subscriptions$"), V),
    ("POST", re.compile(r"^/subscriptions$"), M),
    ("DELETE", re.compile(r"^/subscriptions$"), M),
    ("POST", re.compile(r"^/event-types/[^/]+/subscriptions$"), M),
    ("GET", re.compile(r"^/subscriptions/[^/]+$"), V),
    ("PATCH", re.compile(r"^/subscriptions/[^/]+$"), M),
    ("DELETE", re.compile(r"^/subscriptions/[^/]+$"), M),
    ("POST", re.compile(r"^/subscriptions/[^/]+/(validate|test)$"), M),
    ("POST", re.compile(r"^/subscriptions/[^/]+/rotate-secret$"), K),
    ("GET", re.compile(r"^/deliveries(/[^/]+)?$"), V),
    ("POST", re.compile(r"^/deliveries/[^/]+/(replay|retry)$"), R),
    ("POST", re.compile(r"^/deliveries/(replay|retry)$"), R),
    # Events, the feed, the search and business objects: within a partner's allowance.
    ("GET", re.compile(r"^/events(/[^/]+)?$"), V),
    ("GET", re.compile(r"^/feed$"), V),
    ("GET", re.compile(r"^/search$"), V),
    ("GET", re.compile(r"^/objects(/[^/]+/[^/]+)?$"), V),
    ("POST", re.compile(r"^/objects/[^/]+/[^/]+/transitions$"), M),
    ("GET", re.compile(r"^/issues(/[^/]+)?$"), V),
]


def authenticate(authorization: str | None, hub: Hub) -> Principal:
    """The admin, or the scoped token presented, checked on every request: a revoked token,
    an expired one, or one whose partner was suspended or removed is refused at once.

    Raises:
        Unauthorized: no token, or one the hub does not know or no longer honours.
    """
    presented = bearer_hash(authorization)
    if hmac.compare_digest(presented.encode(), hub.admin_token_hash.encode()):
        return ADMIN
    token = hub.tokens.find(presented)
    if token is None:
        raise Unauthorized("the token is not valid")
    return token_principal(hub, token)


def token_principal(hub: Hub, token: Token) -> Principal:
    """Who a known token is, if it is still honoured.

    Raises:
        Unauthorized: it expired, or its partner was suspended or removed.
    """
    if not token.valid(hub.clock.now()):
        raise Unauthorized("the token has expired")
    if token.partner is not None and hub.partners.get(token.partner) is None:
        raise Unauthorized("the token's partner no longer has access")
    return Principal(token.id, token.name, token.partner)


def link_principal(hub: Hub, link_id: str) -> Principal | None:
    """Who a portal session is, while its link stands and its partner is active."""
    link = hub.links.get(link_id)
    if link is None or not link.session_alive(hub.clock.now()):
        return None
    if hub.partners.get(link.partner) is None:
        return None
    return Principal(None, link.partner, link.partner, link.id, link.capabilities)


def required(method: str, path: str) -> Capability | None:
    """The capability a scoped caller needs for a route; None: the route is the admin's."""
    return next((c for m, pattern, c in SCOPED_ROUTES if m == method and pattern.match(path)),
                None)  # fmt: skip


def view_of(request: Request) -> View:
    """What the caller may see (`hub.access.view`): its allowance and its own subscriptions."""
    who = principal(request)
    if who.admin:
        return EVERYTHING
    hub: Hub = request.app.state.hub
    partner = hub.partners.get(who.partner)
    own = frozenset(s.id for s in hub.registry.all() if who.owns(s.owner, s.partner))
    return View(allowance=partner.allowance if partner is not None else None, subscriptions=own)


class AdminAuth:
    """ASGI middleware in front of every /api route: a valid token, and for scoped tokens, a
    route within their scope. Handlers read the caller from ``scope["state"]["principal"]``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            hub: Hub = scope["app"].state.hub
            headers = dict(scope["headers"])
            raw = headers.get(b"authorization")
            if raw is None and headers.get(b"x-api-key"):
                # A custom connector's API-key connection sends the bare token in its header.
                raw = b"Bearer " + headers[b"x-api-key"]
            root, path = scope.get("root_path", ""), scope["path"]
            relative = path[len(root) :] if root and path.startswith(root) else path
            try:
                who = scope.get(CONSOLE_PRINCIPAL) or authenticate(
                    raw.decode("latin-1") if raw else None, hub
                )
                if not who.admin:
                    _within_scope(who, scope["method"], relative)
            except (Unauthorized, Forbidden) as exc:
                response = error_response(exc, path)
                if isinstance(exc, Unauthorized):
                    response.headers["WWW-Authenticate"] = 'Bearer realm="hub"'
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = who
        await self.app(scope, receive, send)


def _within_scope(who: Principal, method: str, path: str) -> None:
    """Raises: Forbidden, for an admin route or a capability the caller was not given."""
    needed = required(method, path)
    if needed is None:
        raise Forbidden("this route is the admin's; a scoped token reaches its partner's "
                        "subscriptions, deliveries, events and objects")  # fmt: skip
    if needed not in who.capabilities:
        raise Forbidden(f"this session may not {needed.value}: its portal link did not "
                        "give that capability")  # fmt: skip


def principal(request: Request) -> Principal:
    """The caller `AdminAuth` authenticated (the admin where no middleware ran)."""
    found: Principal = request.scope.get("state", {}).get("principal", ADMIN)
    return found
