"""Lists as a caller may see them: a page of the store's listing, narrowed by the caller's
`View` (`hub.access.view`) with the same decisions that route deliveries.

A narrowed listing reads the store in chunks until it has a page or has looked at
`SCAN_LIMIT` records; the cursor then points past everything looked at, so a partner whose
records are rare gets a short (even empty) page with a cursor to go on, never a slow request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from starlette.requests import Request

from hub.access.view import View
from hub.api.auth import principal, view_of
from hub.errors import Forbidden
from hub.model import Page


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_Identified)

CHUNK = 500
SCAN_LIMIT = 5_000


async def narrowed(
    fetch: Callable[[str | None, int], Awaitable[Page[T]]],
    cursor: str | None,
    limit: int,
    admits: Callable[[T], bool],
    chunk: int = CHUNK,
    scan_limit: int = SCAN_LIMIT,
) -> Page[T]:
    """Up to `limit` admitted records after `cursor`, newest first (`chunk` and
    `scan_limit`: how many to read at a time, and at most)."""
    found: list[T] = []
    looked = 0
    while looked < scan_limit:
        part = await fetch(cursor, chunk)
        for item in part.items:
            looked += 1
            cursor = item.id
            if admits(item):
                found.append(item)
                if len(found) == limit:
                    more = part.next_cursor is not None or item is not part.items[-1]
                    return Page(found, cursor if more else None)
        if part.next_cursor is None:
            return Page(found, None)
    return Page(found, cursor)


async def page_for(
    view: View,
    fetch: Callable[[str | None, int], Awaitable[Page[T]]],
    cursor: str | None,
    limit: int,
    admits: Callable[[T], bool],
) -> Page[T]:
    """The store's page for the admin; for anyone else, the page `narrowed` by `admits`."""
    if view.admin:
        return await fetch(cursor, limit)
    return await narrowed(fetch, cursor, limit, admits)


def reading_view(request: Request) -> View:
    """The caller's view, for a route that lists events or objects.

    Raises:
        Forbidden: a token of no partner, which reaches its subscriptions only.
    """
    view = view_of(request)
    if not view.reads_events:
        name = principal(request).name
        raise Forbidden(f"token {name!r} belongs to no partner, so it reads no events or "
                        "objects: make the flow's token under a partner (POST /api/tokens "
                        '{"name", "partner"})')  # fmt: skip
    return view
