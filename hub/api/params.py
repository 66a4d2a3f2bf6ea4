"""Reading what admins send: query parameters, JSON bodies and delivery filters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from hub.api.services import Hub
from hub.clock import parse_rfc3339
from hub.errors import InvalidParameter
from hub.jsontext import parse_json
from hub.model import DeliveryFilter, DeliveryStatus

DEFAULT_LIMIT = 50


def int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidParameter(f"{name} must be an integer in {low}..{high}")
    return int(raw)


def instant_param(params: Mapping[str, Any], name: str) -> float | None:
    """An RFC 3339 timestamp or Unix seconds."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return float(raw) if isinstance(raw, int | float) else _parse_instant(str(raw))
    except ValueError:
        raise InvalidParameter(f"{name} must be RFC 3339 (with a zone) or Unix seconds") from None


def _parse_instant(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        return parse_rfc3339(raw)


def _status(raw: Any, default: DeliveryStatus | None = None) -> DeliveryStatus | None:
    if raw is None or raw == "":
        return default
    try:
        return DeliveryStatus(raw)
    except ValueError:
        raise InvalidParameter("status must be pending, succeeded or failed") from None


def text_param(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidParameter(f"{name} must be a string")
    return value or None


def delivery_filter(params: Mapping[str, Any], default: DeliveryStatus | None) -> DeliveryFilter:
    return DeliveryFilter(
        status=_status(params.get("status"), default),
        subscription_id=text_param(params, "subscription"),
        event_type=text_param(params, "event_type"),
        since=instant_param(params, "since"),
    )


async def json_object(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        return {}
    doc = parse_json(body)
    if not isinstance(doc, dict):
        raise InvalidParameter("the request body must be a JSON object")
    return doc


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def page_response(items: list[dict[str, Any]], cursor: str | None) -> JSONResponse:
    return JSONResponse({"items": items, "next_cursor": cursor})
