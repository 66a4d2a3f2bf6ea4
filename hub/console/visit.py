"""One signed-in request to the console: who it is, their session, and their API calls.

`page` and `action` wrap every handler: no page renders and no form acts without a valid
session, and no form acts without its CSRF token and our own Origin.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.api.auth import link_principal, token_principal
from hub.api.services import Hub
from hub.api.tokens import ADMIN, Principal
from hub.console import session as sessions
from hub.console.api_client import Answer, call
from hub.console.session import Session
from hub.console.views import render
from hub.errors import Unauthorized

log = logging.getLogger("hub.console")


class ApiProblem(Exception):
    """An API call a page needed was refused; the page shows why, with the same status."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.problem)
        self.answer = answer


@dataclass
class Visit:
    request: Request
    who: Principal
    session: Session
    ended: bool = False  # signed out: the answer must not set the cookie again

    @property
    def hub(self) -> Hub:
        hub: Hub = self.request.app.state.hub
        return hub

    async def api(
        self,
        method: str,
        path: str,
        query: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Answer:
        return await call(self.request, self.who, method, path, query, body)

    async def get(self, path: str, query: dict[str, str] | None = None) -> Any:
        """A read the page cannot do without.

        Raises:
            ApiProblem: the API refused it (a 404 for an unknown id, a 403 out of scope).
        """
        answer = await self.api("GET", path, query)
        if not answer.ok:
            raise ApiProblem(answer)
        return answer.doc

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        notice, self.session = self.session.notice, self.session.with_notice(None)
        context |= {"who": self.who, "csrf": self.session.csrf, "notice": notice}
        return render(self.request, template, context, status)

    def redirect(self, url: str) -> Response:
        """To another console page (a search's one hit)."""
        return RedirectResponse(url, status_code=303)

    def back(self, url: str, notice: str) -> Response:
        """After an action: to `url`, with the outcome shown there once."""
        self.session = self.session.with_notice(notice[:300])
        return RedirectResponse(url, status_code=303)


def serializer(hub: Hub) -> Any:
    return sessions.signer(hub.console_key, hub.admin_token_hash, hub.clock.now)


def secure(request: Request) -> bool:
    """`Secure` behind https: this request's scheme, or the public URL the hub is reached by."""
    hub: Hub = request.app.state.hub
    return request.url.scheme == "https" or hub.settings.public_url.startswith("https://")


def set_cookie(response: Response, request: Request, session: Session) -> None:
    hub: Hub = request.app.state.hub
    response.set_cookie(
        sessions.COOKIE,
        sessions.dumps(serializer(hub), session),
        max_age=int(hub.settings.console_idle),
        path=sessions.PATH,
        secure=secure(request),
        httponly=True,
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"


def principal_of(hub: Hub, subject: str) -> Principal | None:
    """Who a session names, if they still may sign in: a deleted or expired token's sessions
    end, as do a revoked link's and every session of a suspended or removed partner."""
    if subject == sessions.ADMIN_ID:
        return ADMIN
    if subject.startswith(sessions.LINK_PREFIX):
        return link_principal(hub, subject.removeprefix(sessions.LINK_PREFIX))
    token = hub.tokens.get(subject)
    if token is None:
        return None
    try:
        return token_principal(hub, token)
    except Unauthorized:
        return None


def visit_of(request: Request) -> Visit | None:
    hub: Hub = request.app.state.hub
    found = sessions.loads(
        serializer(hub), request.cookies.get(sessions.COOKIE), hub.settings.console_idle
    )
    if found is None:
        return None
    who = principal_of(hub, found.subject)
    return None if who is None else Visit(request, who, found)


def to_sign_in(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{sessions.PATH}/sign-in?next={quote(target)}", status_code=303)


Handler = Callable[[Visit], Awaitable[Response]]


def page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    @functools.wraps(handler)
    async def serve(request: Request) -> Response:
        visit = visit_of(request)
        if visit is None:
            return to_sign_in(request)
        try:
            response = await handler(visit)
        except ApiProblem as exc:
            response = visit.render("problem.html", exc.answer.status, problem=exc.answer)
        set_cookie(response, request, visit.session)
        return response

    return serve


def admin_page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A page of the admin's alone (rejections, receipts, the audit trail): to anyone else it
    does not exist, so a partner learns nothing from its address."""

    async def only_admin(visit: Visit) -> Response:
        if not visit.who.admin:
            return visit.render("problem.html", 404, problem=None, missing="no such page")
        return await handler(visit)

    return page(functools.wraps(handler)(only_admin))


def refused(request: Request, status: int, reason: str) -> Response:
    log.warning("console refused %s %s: %s", request.method, request.url.path, reason)
    return render(request, "refused.html", {"reason": reason, "who": None}, status)


def action(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    @functools.wraps(handler)
    async def act(request: Request) -> Response:
        visit = visit_of(request)
        if visit is None:
            return refused(request, 401, "your session has ended; sign in again")
        if not sessions.same_origin(request.headers.get("origin"), str(request.base_url)):
            return refused(request, 403, "the form was not sent from this console")
        form = await request.form()
        if not sessions.csrf_ok(visit.session, str(form.get("csrf") or "")):
            return refused(request, 403, "the form's CSRF token is missing or wrong; reload")
        try:
            response = await handler(visit)
        except ApiProblem as exc:
            response = visit.render("problem.html", exc.answer.status, problem=exc.answer)
        if not visit.ended:
            set_cookie(response, request, visit.session)
        return response

    return act
