"""The pull feed: events in acceptance order from a cursor, for consumers that cannot receive
webhooks (batch jobs, ERPs behind firewalls).

``GET /api/feed?after=<cursor>&types=order.*,customer.created&wait=30`` answers the events
after the cursor, oldest first, with ``next_cursor``. With nothing new it waits up to ``wait``
seconds for the next commit, so a polling job stops running empty cycles. The cursor is an
event id: it survives restarts because it is a position in the store, not in the hub.
``company`` and ``filter`` (a payload filter, JSON) narrow it as they do subscriptions.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.access.view import EVERYTHING, View
from hub.api.params import accepts
from hub.api.render import render_event
from hub.api.visible import reading_view
from hub.catalog import PATTERN, type_matches
from hub.errors import InvalidParameter
from hub.filters import Filter, parse_filter
from hub.model import Event
from hub.store.base import Store, check_cursor


@dataclass(frozen=True)
class FeedQuery:
    """What a reader asked for; pure, so `wanted` is tested as a table."""

    types: Sequence[str] = ("*",)
    company: str | None = None
    filter: Filter | None = None

    def wanted(self, event: Event) -> bool:
        if not any(type_matches(p, event.type) for p in self.types):
            return False
        if self.company is not None and event.company != self.company:
            return False
        return self.filter is None or self.filter.test(json.loads(event.data_json))


MAX_WAIT = 60.0
SCAN_CHUNKS = 10  # at most 5,000 events looked at per request; the cursor moves past them


async def scan(
    store: Store, after: str | None, query: FeedQuery, limit: int, view: View = EVERYTHING
) -> tuple[list[Event], str | None]:
    """Up to `limit` wanted events after the cursor, and the cursor past everything looked at;
    a partner's reader gets only those its allowance admits."""
    found: list[Event] = []
    for _ in range(SCAN_CHUNKS):
        chunk = await store.events_after(after, 500)
        for event in chunk:
            after = event.id
            if query.wanted(event) and view.event(event):
                found.append(event)
                if len(found) == limit:
                    return found, after
        if len(chunk) < 500:
            break
    return found, after


def parse_query(params: Mapping[str, str]) -> FeedQuery:
    """Raises: InvalidParameter, SchemaViolation (a filter that does not parse)."""
    types = [t.strip() for t in params.get("types", "*").split(",") if t.strip()] or ["*"]
    for pattern in types:
        if not PATTERN.match(pattern):
            raise InvalidParameter(f"types: {pattern[:64]!r} is not an event type or pattern")
    found_filter = None
    if params.get("filter"):
        try:
            raw = json.loads(params["filter"])
        except ValueError:
            raise InvalidParameter("filter must be JSON (a payload filter)") from None
        found_filter = parse_filter(raw, "/filter")
    return FeedQuery(tuple(types), params.get("company") or None, found_filter)


@accepts("after", "types", "company", "filter", "limit", "wait")
async def read_feed(request: Request) -> JSONResponse:
    """``GET /api/feed``: events after a cursor, long-polling up to ``wait`` seconds."""
    hub = request.app.state.hub
    params = request.query_params
    after = check_cursor(params.get("after"))
    query = parse_query(params)
    view = reading_view(request)
    limit = _number(params, "limit", 100, 1, 500)
    wait = _number(params, "wait", 0, 0, MAX_WAIT)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        ticket = hub.arrivals.ticket()
        found, cursor = await scan(hub.store, after, query, int(limit), view)
        if found or loop.time() >= deadline:
            break
        after = cursor
        await hub.arrivals.wait(ticket, deadline - loop.time())
    return JSONResponse({"items": [render_event(e) for e in found], "next_cursor": cursor})


def _number(params: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidParameter(f"{name} must be a number in {low:g}..{high:g}") from None
    if not low <= value <= high:
        raise InvalidParameter(f"{name} must be a number in {low:g}..{high:g}")
    return value


ROUTES = [Route("/feed", read_feed, methods=["GET"])]
