"""Reading what admins send: query parameters, JSON bodies and delivery filters."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hub.api.services import Hub
from hub.clock import parse_duration, parse_instant
from hub.errors import InvalidParameter, UnknownParameters
from hub.jsontext import parse_json
from hub.model import DeliveryFilter, DeliveryStatus

DEFAULT_LIMIT = 50
PAGE = ("cursor", "limit")
DELIVERY_FILTERS = ("status", "subscription", "event_type", "subject", "since")
Handler = Callable[[Request], Awaitable[Response]]


def refuse_unknown(given: Iterable[str], accepted: Collection[str], where: str) -> None:
    """Raises: UnknownParameters, naming them and what is accepted."""
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        raise UnknownParameters(where, unknown, sorted(accepted))


def accepts(*query: str) -> Callable[[Handler], Handler]:
    """Declare a route's query parameters: any other is refused with a 400 (every route is
    declared, and a test enumerates them from the app)."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: Request) -> Response:
            refuse_unknown(request.query_params.keys(), query, "query parameter(s)")
            return await handler(request)

        checked.accepted_query = frozenset(query)  # type: ignore[attr-defined]
        return checked

    return wrap


def int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidParameter(f"{name} must be an integer in {low}..{high}")
    return int(raw)


def instant_param(params: Mapping[str, Any], name: str, now: float) -> float | None:
    """An RFC 3339 timestamp, Unix seconds, or a duration ago (``30m``, ``1h``, ``2d``)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
        return parse_instant(str(raw), now)
    except ValueError:
        raise InvalidParameter(
            f"{name} must be RFC 3339 (with a zone), Unix seconds, or a duration such as 2h"
        ) from None


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


def delivery_filter(
    params: Mapping[str, Any], default: DeliveryStatus | None, now: float
) -> DeliveryFilter:
    return DeliveryFilter(
        status=_status(params.get("status"), default),
        subscription_id=text_param(params, "subscription"),
        event_type=text_param(params, "event_type"),
        since=instant_param(params, "since", now),
        subject=text_param(params, "subject"),
    )


async def json_object(request: Request, accepted: Collection[str] | None = None) -> dict[str, Any]:
    """The body as a JSON object (an empty body is ``{}``).

    Args:
        accepted: the fields the route takes; any other is refused. None leaves the check to
            the caller (registration collects it with the field's other problems).
    """
    body = await request.body()
    if not body.strip():
        return {}
    doc = parse_json(body)
    if not isinstance(doc, dict):
        raise InvalidParameter("the request body must be a JSON object")
    if accepted is not None:
        refuse_unknown(doc, accepted, "field(s)")
    return doc


def bool_param(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name, False)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if not isinstance(value, bool):
        raise InvalidParameter(f"{name} must be true or false")
    return value


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def page_response(items: list[dict[str, Any]], cursor: str | None) -> JSONResponse:
    return JSONResponse({"items": items, "next_cursor": cursor})


def lifetime_param(params: Mapping[str, Any], name: str, default: float | None) -> float | None:
    """A lifetime in seconds (a number, or a duration such as ``90s``, ``12h``, ``30d``), at
    least 1 s and at most ten years.

    Raises:
        InvalidParameter: anything else.
    """
    raw = params.get(name)
    if raw is None:
        return default
    seconds: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        seconds = float(raw)
    elif isinstance(raw, str):
        seconds = float(raw) if raw.isdigit() else parse_duration(raw.strip())
    if seconds is None or not 1 <= seconds <= 10 * 365 * 86_400:
        raise InvalidParameter(f"{name} must be seconds (at least 1) or a duration such as "
                               "30m, 12h or 90d")  # fmt: skip
    return seconds
