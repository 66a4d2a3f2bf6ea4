"""Documents served without a token: they describe the hub and reveal nothing of its data."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hub.api import openapi
from hub.api.params import hub_of
from hub.integrations import power_automate


async def openapi_json(request: Request) -> Response:
    """The OpenAPI document of every route (no token: it describes, it reveals nothing)."""
    return JSONResponse(openapi.document())


async def power_automate_json(request: Request) -> Response:
    """The custom connector's definition (no token: an importer fetches it by URL, and it
    holds the catalog and status names only). Its host is HUB_PUBLIC_URL, else this request's."""
    hub = hub_of(request)
    base = hub.settings.public_url or str(request.base_url)
    return JSONResponse(power_automate.definition(hub.catalog, hub.rules, base))
