"""``/api/issues``: failures grouped into items, which resolve by themselves after a success,
or which an admin acknowledges or resolves. A partner's token reads the issues about its own
subscriptions' deliveries."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.api.auth import view_of
from hub.api.params import (
    DEFAULT_LIMIT,
    PAGE,
    accepts,
    hub_of,
    int_param,
    json_object,
    page_response,
)
from hub.api.visible import page_for
from hub.clock import rfc3339_or_none
from hub.errors import Conflict, InvalidParameter, NotFound
from hub.model import Issue, IssueStatus
from hub.observe.issues import issue_data


def render_issue(issue: Issue) -> dict[str, Any]:
    doc = issue_data(issue)
    doc["id"] = doc.pop("issue_id")
    doc["resolved_at"] = rfc3339_or_none(issue.resolved_at)
    return doc


def _status(raw: str | None) -> IssueStatus | None:
    if raw is None or raw == "":
        return None
    try:
        return IssueStatus(raw)
    except ValueError:
        raise InvalidParameter("status must be open, acknowledged or resolved") from None


@accepts("status", *PAGE)
async def list_issues(request: Request) -> JSONResponse:
    q = request.query_params
    store, status = hub_of(request).store, _status(q.get("status"))
    limit = int_param(q, "limit", DEFAULT_LIMIT, 1, 500)
    view = view_of(request)
    page = await page_for(view, lambda c, n: store.list_issues(status, c, n), q.get("cursor"),
                          limit, view.issue)  # fmt: skip
    return page_response([render_issue(i) for i in page.items], page.next_cursor)


@accepts()
async def get_issue(request: Request) -> JSONResponse:
    issue = await hub_of(request).store.get_issue(request.path_params["id"])
    if issue is None or not view_of(request).issue(issue):
        raise NotFound(f"no issue {request.path_params['id'][:40]}")
    return JSONResponse(render_issue(issue))


@accepts()
async def patch_issue(request: Request) -> JSONResponse:
    """``{"status": "acknowledged" | "resolved"}``; a resolved issue stays resolved (the next
    failure of its kind opens a new one).

    Raises:
        NotFound, Conflict, InvalidParameter
    """
    body = await json_object(request, ("status",))
    wanted = _status(body.get("status") if isinstance(body.get("status"), str) else "x")
    if wanted not in (IssueStatus.ACKNOWLEDGED, IssueStatus.RESOLVED):
        raise InvalidParameter("status must be acknowledged or resolved")
    hub = hub_of(request)
    issue = await hub.store.get_issue(request.path_params["id"])
    if issue is None:
        raise NotFound(f"no issue {request.path_params['id'][:40]}")
    if issue.status is IssueStatus.RESOLVED:
        raise Conflict(f"issue {issue.id} is resolved already")
    changed = await hub.issues.set_status(issue.id, wanted)
    assert changed is not None
    return JSONResponse(render_issue(changed))


ROUTES = [
    Route("/issues", list_issues, methods=["GET"]),
    Route("/issues/{id}", get_issue, methods=["GET"]),
    Route("/issues/{id}", patch_issue, methods=["PATCH"]),
]
