"""The audit trail: every state-changing admin request, through the API, the CLI or the
console, is kept with who made it, what it did, when and from where, and logged as one line;
``GET /api/audit`` lists it, newest first (admin only).

`AuditTrail` sits inside `AdminAuth` on the ``/api`` mount, so it knows the caller, and after
routing, so it knows the handler. The entry is written before the answer's first byte leaves:
a caller who saw the answer can find the action in the trail.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.api.params import (
    DEFAULT_LIMIT,
    PAGE,
    accepts,
    hub_of,
    instant_param,
    int_param,
    page_response,
)
from hub.api.tokens import ADMIN, CONSOLE_PRINCIPAL, Principal
from hub.clock import rfc3339_or_none
from hub.errors import StoreUnavailable
from hub.ids import new_id
from hub.model import AuditEntry, AuditFilter
from hub.observe.request_id import current

log = logging.getLogger("hub.audit")

CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
AUDIT_TARGET = "audit_target"  # keys in the request's state that handlers set
AUDIT_DRY_RUN = "audit_dry_run"


def via_of(scope: Scope) -> str:
    """Which of our clients made the request: the console's calls are made in-process and
    marked in their scope (no request from outside can set it); the CLI names itself in its
    User-Agent; anything else is the API."""
    if CONSOLE_PRINCIPAL in scope:
        return "console"
    agent = next((v for k, v in scope["headers"] if k == b"user-agent"), b"")
    return "cli" if agent.decode("latin-1").startswith("hub-cli/") else "api"


def audit_names(request: Request, **target: str) -> None:
    """Let the audit entry name what the action made (a new token's id and name, a new
    subscription's id): never a secret or a token's value."""
    request.scope.setdefault("state", {}).setdefault(AUDIT_TARGET, {}).update(target)


def audit_dry_run(request: Request) -> None:
    """Record this action as the dry run it is (``replay_deliveries_dry_run``), so that the
    trail never shows a replay that did not happen."""
    request.scope.setdefault("state", {})[AUDIT_DRY_RUN] = True


def entry_of(scope: Scope, status: int, now: float) -> AuditEntry | None:
    """The audit entry of a routed, state-changing request; None for anything else."""
    endpoint = scope.get("endpoint")
    if scope["method"] not in CHANGES or endpoint is None:
        return None
    state = scope.get("state", {})
    who: Principal = state.get("principal", ADMIN)
    client = scope.get("client")
    action = getattr(endpoint, "__name__", "unknown")
    target = {str(k): str(v) for k, v in scope.get("path_params", {}).items()}
    return AuditEntry(
        id=new_id("aud"),
        at=now,
        actor_id=who.actor,
        actor_name=who.name,
        action=f"{action}_dry_run" if state.get(AUDIT_DRY_RUN) else action,
        method=scope["method"],
        path=scope["path"],  # the full path: a mount keeps it and moves its prefix to root_path
        target=target
        | state.get(AUDIT_TARGET, {})
        | ({"partner": who.partner} if who.partner else {}),
        status=status,
        via=via_of(scope),
        remote=client[0] if client else None,
        request_id=current(scope),
    )


class AuditTrail:
    """ASGI middleware keeping an `AuditEntry` of each admin action."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in CHANGES:
            await self.app(scope, receive, send)
            return

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self._keep(scope, int(message["status"]))
            await send(message)

        await self.app(scope, receive, record)

    @staticmethod
    async def _keep(scope: Scope, status: int) -> None:
        hub: Any = scope["app"].state.hub
        entry = entry_of(scope, status, hub.clock.now())
        if entry is None:
            return
        log.info(
            "%s %s by %s (%s) via %s: %d", entry.action, entry.path, entry.actor_name,
            entry.actor_id, entry.via, status,
            extra={"action": entry.action, "actor_id": entry.actor_id, "status": status},
        )  # fmt: skip
        try:
            await hub.store.add_audit(entry)
        except StoreUnavailable as exc:
            # The action is done; its answer still goes out, and the line above keeps it.
            log.error("could not keep the audit entry of %s: %s", entry.action, exc.detail)


def render_audit(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": rfc3339_or_none(e.at),
        "actor": {"id": e.actor_id, "name": e.actor_name},
        "action": e.action,
        "method": e.method,
        "path": e.path,
        "target": e.target,
        "status": e.status,
        "via": e.via,
        "remote": e.remote,
        "request_id": e.request_id,
    }


@accepts("actor", "action", "since", "until", *PAGE)
async def list_audit(request: Request) -> JSONResponse:
    q = request.query_params
    hub = hub_of(request)
    now = hub.clock.now()
    where = AuditFilter(
        actor_id=q.get("actor") or None,
        action=q.get("action") or None,
        since=instant_param(q, "since", now),
        until=instant_param(q, "until", now),
    )
    page = await hub.store.list_audit(
        where, q.get("cursor"), int_param(q, "limit", DEFAULT_LIMIT, 1, 500)
    )
    return page_response([render_audit(e) for e in page.items], page.next_cursor)


ROUTES = [Route("/audit", list_audit, methods=["GET"])]
