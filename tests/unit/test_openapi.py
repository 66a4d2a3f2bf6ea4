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
        if isinstance(route, Mount) and route.path == "/console":
            continue  # HTML pages for people, not API: their tests are in tests/console
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


def test_every_api_route_documents_exactly_the_query_parameters_it_takes(
    tmp_path: Path,
) -> None:
    settings = hub_settings(tmp_path)
    app = create_app(settings, load_components(settings, {}))
    paths = document()["paths"]
    [api] = [r for r in app.routes if isinstance(r, Mount) and r.path == "/api"]
    for route in api.routes:
        assert isinstance(route, Route)
        accepted = route.endpoint.accepted_query  # type: ignore[attr-defined]
        for method in route.methods or ():
            if method == "HEAD":
                continue
            op = paths["/api" + route.path][method.lower()]
            documented = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
            assert documented == accepted, (method, route.path)


def test_the_subscribe_answer_declares_its_location_header() -> None:
    created = document()["paths"]["/api/subscriptions"]["post"]["responses"]["201"]
    assert "Location" in created["headers"]
