"""RFC 9457 problem responses: the one place errors become HTTP."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from hub.errors import PROBLEM_BASE, HubError, ServiceUnavailable

log = logging.getLogger("hub.http")

MEDIA_TYPE = "application/problem+json"


def problem_response(doc: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(doc, ensure_ascii=False).encode()
    return Response(body, status_code=int(doc["status"]), headers=headers, media_type=MEDIA_TYPE)


def error_response(
    exc: HubError, instance: str | None = None, rejection_id: str | None = None
) -> Response:
    """Render a hub error; a 503 tells the sender when to come back.

    Args:
        rejection_id: where the refused request is kept, for admins and the sender's support.
    """
    headers = {}
    if isinstance(exc, ServiceUnavailable):
        headers["Retry-After"] = str(exc.retry_after)
    doc = exc.problem(instance)
    if rejection_id:
        doc["rejection_id"] = rejection_id
    return problem_response(doc, headers)


async def on_hub_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HubError)
    return error_response(exc, request.url.path)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405s, as problems too."""
    assert isinstance(exc, HTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    doc = {
        "type": PROBLEM_BASE + phrase.lower().replace(" ", "-"),
        "title": phrase,
        "status": exc.status_code,
        "detail": exc.detail if exc.detail != phrase else f"{request.method} {request.url.path}",
        "instance": request.url.path,
    }
    return problem_response(doc, dict(exc.headers or {}))


async def on_unexpected(request: Request, exc: Exception) -> Response:
    """A bug: log it with its traceback, tell the caller nothing internal."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    doc = {
        "type": PROBLEM_BASE + "internal-error",
        "title": "Internal error",
        "status": 500,
        "detail": "the hub failed to handle this request; it has been logged",
    }
    return problem_response(doc)
