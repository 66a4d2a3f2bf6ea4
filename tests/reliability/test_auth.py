"""Nobody gets in: every /api route of the app refuses a missing, malformed or wrong token,
and a scoped token beyond its scope. Routes are enumerated from the app, not listed by hand."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.api.auth import required
from tests.helpers import RunningHub, hub_settings, running_hub
from tests.unit.test_openapi import routes

BAD = [None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer x y", "bearer wrong-token",
       "Bearer test-admin-token-0123456789x", "Bearer hubt_not-a-real-token"]  # fmt: skip


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[RunningHub]:
    async with running_hub(hub_settings(tmp_path)) as running:
        yield running


def api_routes(hub: RunningHub) -> list[tuple[str, str]]:
    found = sorted((p, m) for p, m in routes(list(hub.app.routes)) if p.startswith("/api"))
    assert len(found) >= 20, "the app lost its routes?"
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "dlv_00000000000000000000000000000000", path)


async def test_every_api_route_refuses_bad_tokens(hub: RunningHub) -> None:
    for path, method in api_routes(hub):
        for authorization in BAD:
            headers = {} if authorization is None else {"authorization": authorization}
            response = await hub.client.request(method, concrete(path), headers=headers)
            assert response.status_code == 401, (method, path, authorization)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["www-authenticate"] == 'Bearer realm="hub"'
            assert "test-admin-token" not in response.text


async def test_a_scoped_token_reaches_only_its_scope(hub: RunningHub) -> None:
    token = (await hub.post("/api/tokens", {"name": "partner"})).json()["token"]
    headers = {"authorization": f"Bearer {token}"}
    outside = [(p, m) for p, m in api_routes(hub) if required(m.upper(), p[4:]) is None]
    assert ("/api/events/{id}/replay", "post") in outside and ("/api/tokens", "post") in outside
    assert ("/api/partners", "post") in outside and ("/api/audit", "get") in outside
    for path, method in outside:
        response = await hub.client.request(method, concrete(path), headers=headers)
        assert response.status_code == 403, (method, path)
    inside = [(p, m) for p, m in api_routes(hub) if required(m.upper(), p[4:]) is not None]
    for path, method in inside:
        response = await hub.client.request(method, concrete(path), headers=headers)
        # 403 only where a token of no partner reads events or objects (it has no allowance).
        assert response.status_code in (200, 201, 202, 204, 400, 403, 404, 422), (method, path)
        if response.status_code == 403:
            assert "belongs to no partner" in response.json()["detail"], (method, path)


def test_token_comparison_is_constant_time() -> None:
    import inspect

    from hub.api import auth

    # The admin token is compared as a SHA-256 digest with hmac.compare_digest; scoped tokens
    # are looked up by the digest of a 256-bit random value.
    assert "hmac.compare_digest" in inspect.getsource(auth.authenticate)
