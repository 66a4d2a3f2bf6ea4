"""A fake vendor API on loopback, for connectors that fetch thin payloads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.helpers import Served


class FakeApi:
    """Answers GETs from a path -> JSON table (404 otherwise) and records the request headers.

    A table entry may also be a function of the query parameters that returns the JSON
    document or a whole `Response` (a paged list, a page that fails).
    """

    def __init__(self, routes: Mapping[str, Any], redirect: str | None = None) -> None:
        self.routes = dict(routes)
        self.redirect = redirect
        self.seen: list[dict[str, str]] = []
        self.paths: list[str] = []
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET"])])
        self.served = Served(app)

    @property
    def url(self) -> str:
        return self.served.url

    async def _handle(self, request: Request) -> Response:
        self.seen.append(dict(request.headers))
        self.paths.append(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if self.redirect is not None:
            return Response(status_code=302, headers={"location": self.redirect})
        doc = self.routes.get(request.url.path)
        if callable(doc):
            doc = doc(dict(request.query_params))
        if isinstance(doc, Response):
            return doc
        return JSONResponse(doc) if doc is not None else Response(status_code=404)

    async def __aenter__(self) -> FakeApi:
        self.served.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.served.stop()
