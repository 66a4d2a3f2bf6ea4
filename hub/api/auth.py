"""Who is calling `/api`: the admin token, or a scoped token within its routes.

`AdminAuth` is applied to the whole mount, so no route can forget it.
"""

from __future__ import annotations

import hmac
import re

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.api.services import Hub
from hub.api.tokens import ADMIN, CONSOLE_PRINCIPAL, Principal, token_hash
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


# What a scoped token may reach: its subscriptions, their deliveries, and the catalog.
SCOPED_ROUTES = [
    (frozenset({"GET"}), re.compile(r"^/event-types(/[^/]+/message-schema)?$")),
    (frozenset({"GET", "POST", "DELETE"}), re.compile(r"^/subscriptions$")),
    (frozenset({"POST"}), re.compile(r"^/event-types/[^/]+/subscriptions$")),
    # Recent events, for a flow's "list events" action: what /feed gives a scoped token too.
    (frozenset({"GET"}), re.compile(r"^/events$")),
    (frozenset({"POST"}), re.compile(r"^/deliveries/[^/]+/replay$")),
    (frozenset({"GET", "PATCH", "DELETE"}), re.compile(r"^/subscriptions/[^/]+$")),
    (frozenset({"POST"}), re.compile(r"^/subscriptions/[^/]+/(rotate-secret|validate)$")),
    (frozenset({"GET"}), re.compile(r"^/deliveries(/[^/]+)?$")),
    (frozenset({"GET"}), re.compile(r"^/feed$")),
    # Where an order stands, and moving it by hand (low-code actions; force only by scope).
    (frozenset({"GET"}), re.compile(r"^/objects(/[^/]+/[^/]+)?$")),
    (frozenset({"POST"}), re.compile(r"^/objects/[^/]+/[^/]+/transitions$")),
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
    return Principal(token.id, token.name)


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


def principal(request: Request) -> Principal:
    """The caller `AdminAuth` authenticated (the admin where no middleware ran)."""
    found: Principal = request.scope.get("state", {}).get("principal", ADMIN)
    return found
