"""Rendering console pages: the Jinja2 environment, shipped inside the package, and the
filters its templates use."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

ENV = Environment(
    loader=PackageLoader("hub.console", "templates"),
    autoescape=select_autoescape(("html",)),
    enable_async=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


def when(value: str | float | None) -> str:
    """RFC 3339 times shown to the second, in UTC."""
    if value is None or value == "":
        return "—"
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, UTC).isoformat()
    return str(value).replace("T", " ")[:19] + " UTC"


def pretty(value: Any) -> str:
    """A JSON value, or a JSON text, indented for reading."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return str(value)
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.1f} s"
    if value < 7200:
        return f"{value / 60:.0f} min"
    return f"{value / 3600:.1f} h"


def with_query(request: Request, **changes: str | None) -> str:
    """This page's URL with some query parameters changed (None drops one)."""
    params = dict(request.query_params) | changes
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return request.url.path + (f"?{urlencode(kept)}" if kept else "")


ENV.filters |= {"when": when, "pretty": pretty, "seconds": seconds}


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    context |= {
        "request": request,
        "with_query": lambda **c: with_query(request, **c),
        "q": request.query_params,
    }
    html = ENV.get_template(template).render(context)
    return HTMLResponse(html, status)
