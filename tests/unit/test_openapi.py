"""The OpenAPI document names every route of the app, with its methods, and is valid."""

from __future__ import annotations

from pathlib import Path

from openapi_spec_validator import validate
from starlette.routing import Mount, Route

from hub.api.openapi import document
from hub.app import create_app, load_components
from tests.helpers import hub_settings


def routes(app_routes: list[object], prefix: str = "") -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in app_routes:
        if isinstance(route, Mount):
            found |= routes(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            for method in route.methods or ():
                if method != "HEAD":
                    found.add((prefix + route.path, method.lower()))
    return found


def test_every_route_is_documented_and_nothing_else(tmp_path: Path) -> None:
    settings = hub_settings(tmp_path)
    app = create_app(settings, load_components(settings, {}))
    documented = {(path, method) for path, ops in document()["paths"].items() for method in ops}
    assert routes(list(app.routes)) == documented


def test_the_document_is_valid_openapi() -> None:
    validate(document())  # raises on any violation of the OpenAPI 3.1 schema
