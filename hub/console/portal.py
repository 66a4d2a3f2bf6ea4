"""Opening a portal link: a page with one button, whose press signs the partner in.

The link's GET changes nothing, so a mail scanner or a chat preview that fetches it does not
use it up; the POST from the page does, once: the link is marked used in memory before the
store is written, so two presses at once cannot both succeed.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.access import portal
from hub.access.portal import PortalLink
from hub.api.services import Hub
from hub.clock import to_rfc3339
from hub.console import session as sessions
from hub.console.views import render
from hub.console.visit import set_cookie

log = logging.getLogger("hub.console")
# One answer for a link that is unknown, used, expired, revoked or of a suspended partner:
# the page tells nothing about which.
SPENT = (
    "This sign-in link is not valid: it was used, has expired or was revoked. Ask for a new one."
)


def _openable(request: Request) -> PortalLink | None:
    hub: Hub = request.app.state.hub
    link = hub.links.find(request.path_params["value"])
    if link is None or not link.opens(hub.clock.now()) or hub.partners.get(link.partner) is None:
        return None
    return link


async def open_link(request: Request) -> Response:
    link = _openable(request)
    if link is None:
        return render(request, "refused.html", {"reason": SPENT, "who": None}, 401)
    context = {"partner": link.partner, "until": to_rfc3339(link.expires_at),
               "value": request.path_params["value"], "who": None}  # fmt: skip
    response = render(request, "portal.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


async def use_link(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    if not sessions.same_origin(request.headers.get("origin"), str(request.base_url)):
        return render(request, "refused.html", {"reason": "not sent from this console"}, 403)
    link = _openable(request)
    if link is None:
        return render(request, "refused.html", {"reason": SPENT, "who": None}, 401)
    used = link.used(hub.clock.now())
    hub.links.put(used)  # before any await: a second press finds it used
    await hub.store.put_document("portal_link", used.id, portal.to_document(used))
    log.info("console sign-in by partner %s through portal link %s", link.partner, link.id)
    response = RedirectResponse(f"{sessions.PATH}/", status_code=303)
    set_cookie(response, request, sessions.new_session(None, link.id))
    return response
