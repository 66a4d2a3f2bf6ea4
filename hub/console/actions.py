"""What the console's forms do: sign in and out, and the admin actions, each one call of the
admin API (so the audit trail records it, marked ``via: console``)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.api.auth import authenticate
from hub.api.services import Hub
from hub.console import session as sessions
from hub.console.views import render
from hub.console.visit import Visit, action, set_cookie, visit_of
from hub.errors import Unauthorized

log = logging.getLogger("hub.console")

BULK_FILTERS = ("status", "subscription", "event_type", "subject", "since")


async def sign_in_form(request: Request) -> Response:
    if visit_of(request) is not None:
        return RedirectResponse(sessions.safe_next(request.query_params.get("next")), 303)
    context = {"next": sessions.safe_next(request.query_params.get("next")), "who": None}
    return render(request, "sign_in.html", context)


async def sign_in(request: Request) -> Response:
    """The token becomes a session; it is never shown again, not even on a failed try."""
    hub: Hub = request.app.state.hub
    form = await request.form()
    target = sessions.safe_next(str(form.get("next") or ""))
    if not sessions.same_origin(request.headers.get("origin"), str(request.base_url)):
        return render(request, "refused.html", {"reason": "not sent from this console"}, 403)
    token = str(form.get("token") or "").strip()
    try:
        who = authenticate(f"Bearer {token}", hub)
    except Unauthorized:
        log.info("console sign-in refused", extra={"remote": _remote(request)})
        context = {"next": target, "who": None, "error": "That token is not valid."}
        return render(request, "sign_in.html", context, 401)
    log.info("console sign-in by %s (%s)", who.name, who.token_id or "admin")
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, sessions.new_session(who.token_id))
    return response


def _remote(request: Request) -> str | None:
    return request.client.host if request.client else None


@action
async def sign_out(visit: Visit) -> Response:
    log.info("console sign-out by %s", visit.who.name)
    response = RedirectResponse(f"{sessions.PATH}/sign-in", status_code=303)
    response.delete_cookie(sessions.COOKIE, path=sessions.PATH)
    visit.ended = True
    return response


async def _form(visit: Visit) -> dict[str, str]:
    form = await visit.request.form()
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


def _outcome(answer: Any, done: str) -> str:
    return done if answer.ok else f"Refused: {answer.problem}"


@action
async def replay_event(visit: Visit) -> Response:
    event_id = visit.request.path_params["id"]
    answer = await visit.api("POST", f"/events/{quote(event_id)}/replay", body={})
    count = len(answer.doc.get("deliveries", [])) if answer.ok else 0
    return visit.back(f"/console/events/{quote(event_id)}",
                      _outcome(answer, f"Replayed to {count} subscription(s)."))  # fmt: skip


@action
async def replay_delivery(visit: Visit) -> Response:
    return await _one_delivery(visit, "replay", "Queued for a fresh round of attempts.")


@action
async def retry_delivery(visit: Visit) -> Response:
    return await _one_delivery(visit, "retry", "Due now: the worker sends it next.")


async def _one_delivery(visit: Visit, verb: str, done: str) -> Response:
    delivery_id = quote(visit.request.path_params["id"])
    answer = await visit.api("POST", f"/deliveries/{delivery_id}/{verb}", body={})
    return visit.back(f"/console/deliveries/{delivery_id}", _outcome(answer, done))


@action
async def bulk_deliveries(visit: Visit) -> Response:
    """Replay or retry everything the Deliveries page's filters match: first the dry-run count
    and a confirmation, then the action."""
    form = await _form(visit)
    verb = "retry" if form.get("verb") == "retry" else "replay"
    filters = {k: form[k] for k in BULK_FILTERS if form.get(k)}
    if verb == "retry":
        filters.pop("status", None)
    listing = "/console/deliveries" + (f"?{urlencode(filters)}" if filters else "")
    if form.get("confirm") != "yes":
        answer = await visit.api("POST", f"/deliveries/{verb}", body=filters | {"dry_run": True})
        if not answer.ok:
            return visit.back(listing, f"Refused: {answer.problem}")
        return visit.render("confirm.html", verb=verb, filters=filters, preview=answer.doc,
                            listing=listing)  # fmt: skip
    answer = await visit.api("POST", f"/deliveries/{verb}", body=filters)
    if not answer.ok:
        return visit.back(listing, f"Refused: {answer.problem}")
    done = answer.doc.get("queued", answer.doc.get("retried", 0))
    left = answer.doc.get("remaining", 0)
    word = "Replayed" if verb == "replay" else "Retried"
    return visit.back(listing, f"{word} {done} deliveries; {left} still match.")


@action
async def subscription_state(visit: Visit) -> Response:
    sub_id = quote(visit.request.path_params["id"])
    wanted = "paused" if (await _form(visit)).get("state") == "paused" else "active"
    answer = await visit.api("PATCH", f"/subscriptions/{sub_id}", body={"state": wanted})
    word = "Paused." if wanted == "paused" else "Resumed: held deliveries go out now."
    return visit.back(f"/console/subscriptions/{sub_id}", _outcome(answer, word))


@action
async def rotate_secret(visit: Visit) -> Response:
    """The new secret is shown on this one answer, never stored in the session or a URL."""
    sub_id = quote(visit.request.path_params["id"])
    answer = await visit.api("POST", f"/subscriptions/{sub_id}/rotate-secret", body={})
    if not answer.ok:
        return visit.back(f"/console/subscriptions/{sub_id}", f"Refused: {answer.problem}")
    return visit.render("secret.html", sub_id=visit.request.path_params["id"], rotated=answer.doc)


@action
async def validate_subscription(visit: Visit) -> Response:
    sub_id = quote(visit.request.path_params["id"])
    answer = await visit.api("POST", f"/subscriptions/{sub_id}/validate", body={})
    state = answer.doc.get("state") if answer.ok else None
    done = f"Validated again: the subscription is {state}."
    return visit.back(f"/console/subscriptions/{sub_id}", _outcome(answer, done))


@action
async def reprocess_receipt(visit: Visit) -> Response:
    receipt_id = quote(visit.request.path_params["id"])
    answer = await visit.api("POST", f"/receipts/{receipt_id}/reprocess", body={})
    status = answer.doc.get("status") if answer.ok else None
    return visit.back(f"/console/receipts/{receipt_id}",
                      _outcome(answer, f"Reprocessed: the receipt is {status}."))  # fmt: skip


@action
async def issue_status(visit: Visit) -> Response:
    issue_id = quote(visit.request.path_params["id"])
    wanted = "resolved" if (await _form(visit)).get("status") == "resolved" else "acknowledged"
    answer = await visit.api("PATCH", f"/issues/{issue_id}", body={"status": wanted})
    return visit.back("/console/issues", _outcome(answer, f"The issue is {wanted}."))
