"""Console sessions and their guards, over HTTP: cookies, CSRF, scopes, expiry and secrets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from hub.config import PROJECT_ROOT
from hub.console import session as sessions
from tests.helpers import (
    ADMIN_TOKEN,
    CONNECTOR_SECRET,
    SUBSCRIBER_SECRET,
    RunningHub,
    hub_settings,
    order_data,
    running_hub,
    subscriptions_yaml,
)

ERP = {"id": "erp", "url": "http://127.0.0.1:9/erp", "secret": SUBSCRIBER_SECRET,
       "events": ["order.*"], "retry": {"schedule": [0]}}  # fmt: skip


def write_subscriptions(tmp_path: Path) -> None:
    (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([ERP]))


@asynccontextmanager
async def console(hub: RunningHub, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client signed in with `token` (its own cookie jar)."""
    async with httpx.AsyncClient(base_url=hub.served.url, timeout=15) as client:
        signed = await client.post("/console/sign-in", data={"token": token, "next": "/console/"})
        assert signed.status_code == 303, signed.text
        yield client


async def api_subscription(hub: RunningHub) -> str:
    """One made through the API: file subscriptions are read-only, so they have no actions."""
    body = {"url": "http://127.0.0.1:9/ops", "events": ["order.*"]}
    made = await hub.post("/api/subscriptions", body)
    assert made.status_code == 201, made.text
    sub_id: str = made.json()["id"]
    return sub_id


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


async def test_cookie_flags_and_no_token_in_it(tmp_path: Path) -> None:
    write_subscriptions(tmp_path)
    async with running_hub(hub_settings(tmp_path)) as hub:
        answer = await hub.client.post("/console/sign-in", data={"token": ADMIN_TOKEN})
    cookie = answer.headers["set-cookie"]
    assert answer.status_code == 303 and answer.headers["location"] == "/console/"
    assert cookie.startswith(f"{sessions.COOKIE}=")
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/console", "max-age=1800"} <= flags
    assert "secure" not in flags  # plain http on loopback: a Secure cookie would never return
    assert ADMIN_TOKEN not in cookie
    assert answer.headers["cache-control"] == "no-store"


async def test_cookie_is_secure_behind_https(tmp_path: Path) -> None:
    write_subscriptions(tmp_path)
    settings = hub_settings(tmp_path, public_url="https://hub.example.com", console_idle=600.0)
    async with running_hub(settings) as hub:
        answer = await hub.client.post("/console/sign-in", data={"token": ADMIN_TOKEN})
    flags = {part.strip().lower() for part in answer.headers["set-cookie"].split(";")[1:]}
    assert {"secure", "httponly", "samesite=strict", "max-age=600"} <= flags


async def test_a_bad_token_is_refused_and_not_echoed(tmp_path: Path) -> None:
    write_subscriptions(tmp_path)
    async with running_hub(hub_settings(tmp_path)) as hub:
        wrong = "not-the-token-" + "x" * 20
        answer = await hub.client.post("/console/sign-in", data={"token": wrong})
        still_out = await hub.client.get("/console/")
    assert answer.status_code == 401
    assert "That token is not valid." in answer.text and wrong not in answer.text
    assert "set-cookie" not in answer.headers
    assert still_out.status_code == 303
    assert still_out.headers["location"] == "/console/sign-in?next=/console/"


async def test_forms_need_the_csrf_token_and_our_origin(tmp_path: Path) -> None:
    write_subscriptions(tmp_path)
    async with running_hub(hub_settings(tmp_path)) as hub:
        ops = await api_subscription(hub)
        async with console(hub, ADMIN_TOKEN) as client:
            page = await client.get(f"/console/subscriptions/{ops}")
            token = csrf_of(page.text)
            url = f"/console/subscriptions/{ops}/state"
            missing = await client.post(url, data={"state": "paused"})
            wrong = await client.post(url, data={"state": "paused", "csrf": token[:-2] + "zz"})
            elsewhere = await client.post(
                url,
                data={"state": "paused", "csrf": token},
                headers={"origin": "https://evil.example"},
            )
            untouched = await hub.get(f"/api/subscriptions/{ops}")
            done = await client.post(url, data={"state": "paused", "csrf": token})
            paused = await hub.get(f"/api/subscriptions/{ops}")
        async with httpx.AsyncClient(base_url=hub.served.url) as stranger:
            no_session = await stranger.post(url, data={"state": "active", "csrf": token})
    assert [missing.status_code, wrong.status_code, elsewhere.status_code] == [403, 403, 403]
    assert "CSRF token is missing or wrong" in missing.text
    assert "not sent from this console" in elsewhere.text
    assert untouched["state"] != "paused"
    assert done.status_code == 303 and paused["state"] == "paused"
    assert no_session.status_code == 401


async def test_sign_out_ends_the_session(tmp_path: Path) -> None:
    write_subscriptions(tmp_path)
    async with running_hub(hub_settings(tmp_path)) as hub, console(hub, ADMIN_TOKEN) as client:
        page = await client.get("/console/")
        out = await client.post("/console/sign-out", data={"csrf": csrf_of(page.text)})
        after = await client.get("/console/")
    assert page.status_code == 200
    assert out.status_code == 303
    assert f'{sessions.COOKIE}=""' in out.headers["set-cookie"]
    assert "max-age=0" in out.headers["set-cookie"].lower()
    assert after.status_code == 303 and after.headers["location"].startswith("/console/sign-in")


async def test_idle_sessions_expire_and_each_page_renews(tmp_path: Path) -> None:
    write_subscriptions(tmp_path)
    settings = hub_settings(tmp_path, console_idle=600.0)
    async with running_hub(settings) as hub, console(hub, ADMIN_TOKEN) as client:
        hub.clock.advance(500)  # type: ignore[attr-defined]
        renewed = await client.get("/console/")  # 500 s idle: still in, and renewed
        hub.clock.advance(500)  # type: ignore[attr-defined]
        still = await client.get("/console/")  # 500 s since the renewal
        hub.clock.advance(601)  # type: ignore[attr-defined]
        expired = await client.get("/console/")
    assert renewed.status_code == 200 and still.status_code == 200
    assert expired.status_code == 303


async def test_a_deleted_token_ends_its_sessions(tmp_path: Path) -> None:
    write_subscriptions(tmp_path)
    async with running_hub(hub_settings(tmp_path)) as hub:
        made = (await hub.post("/api/tokens", {"name": "zap-orders"})).json()
        async with console(hub, made["token"]) as client:
            before = await client.get("/console/subscriptions")
            deleted = await hub.client.delete(f"/api/tokens/{made['id']}", headers=hub.admin)
            after = await client.get("/console/subscriptions")
    assert before.status_code == 200 and deleted.status_code == 204
    assert after.status_code == 303


async def test_a_scoped_token_sees_only_its_own(tmp_path: Path) -> None:
    write_subscriptions(tmp_path)
    settings = hub_settings(tmp_path, rules=str(PROJECT_ROOT / "rules.yaml"))
    async with running_hub(settings) as hub:
        made = (await hub.post("/api/tokens", {"name": "zap-orders"})).json()
        flow = {"authorization": f"Bearer {made['token']}"}
        own = {"url": "http://127.0.0.1:9/zap", "events": ["order.created"]}
        created = await hub.client.post("/api/subscriptions", json=own, headers=flow)
        assert created.status_code == 201, created.text
        mine = created.json()["id"]
        await hub.send("order.created", order_data("1042"), "msg_1")
        await hub.hub.worker.wait_recorded(2)
        async with console(hub, made["token"]) as client:
            home = await client.get("/console/")
            listing = await client.get("/console/subscriptions")
            theirs = await client.get("/console/subscriptions/erp")
            deliveries = await client.get("/console/deliveries")
            admin_pages = {p: (await client.get(p)).status_code for p in ADMIN_ONLY}
            no_partner = {p: (await client.get(p)).status_code for p in NO_PARTNER}
            issues = await client.get("/console/issues")
    assert home.status_code == 200 and "Signed in as <strong>zap-orders</strong>" in home.text
    assert mine in listing.text and '/console/subscriptions/erp"' not in listing.text
    assert theirs.status_code == 404
    assert deliveries.status_code == 200
    assert mine in deliveries.text and ">erp</a>" not in deliveries.text
    assert set(admin_pages.values()) == {404}, admin_pages  # they do not exist for it
    # A token of no partner (made before partners) reads no events or objects.
    assert set(no_partner.values()) == {403}, no_partner
    assert issues.status_code == 200  # the issues about its own subscriptions
    assert 'id="search-box"' not in home.text and 'href="/console/events"' not in home.text


ADMIN_ONLY = ["/console/rejections", "/console/receipts", "/console/receipts/rcp_1",
              "/console/audit"]  # fmt: skip
NO_PARTNER = ["/console/events", "/console/objects", "/console/search?q=1042"]


async def test_no_secret_on_any_page(tmp_path: Path) -> None:
    """The admin token, connector and subscriber secrets, and a rotated secret after its one
    showing, appear on no page the console serves."""
    write_subscriptions(tmp_path)
    settings = hub_settings(tmp_path, rules=str(PROJECT_ROOT / "rules.yaml"))
    async with running_hub(settings) as hub:
        await hub.send("order.created", order_data("1042"), "msg_1")
        forged = {"content-type": "application/json", "webhook-id": "m", "webhook-timestamp":
                  str(int(hub.clock.now())), "webhook-signature": "v1,Zm9yZ2Vk"}  # fmt: skip
        bad = await hub.client.post("/webhooks/standard", content=b"{}", headers=forged)
        assert bad.status_code == 401, bad.text
        ops = await api_subscription(hub)
        await hub.hub.worker.wait_recorded(2)
        async with console(hub, ADMIN_TOKEN) as client:
            page = await client.get(f"/console/subscriptions/{ops}")
            rotated = await client.post(
                f"/console/subscriptions/{ops}/rotate-secret", data={"csrf": csrf_of(page.text)}
            )
            new_secret = re.search(r"whsec_[A-Za-z0-9+/=]+", rotated.text)
            assert rotated.status_code == 200 and new_secret, rotated.text
            pages = await every_page(client, hub)
            pages["after rotation"] = (await client.get(f"/console/subscriptions/{ops}")).text
    secrets = [ADMIN_TOKEN, CONNECTOR_SECRET, SUBSCRIBER_SECRET, new_secret.group(0)]
    leaks = {path: [s[:8] for s in secrets if s in html] for path, html in pages.items()}
    assert {path: found for path, found in leaks.items() if found} == {}
    # Nor any inbound or outbound signature: the event page shows its request's headers.
    signed = {path for path, html in pages.items() if re.search(r"v1,[A-Za-z0-9+/]{20,}", html)}
    assert signed == set()
    assert "webhook-signature" in pages[next(p for p in pages if p.startswith("/console/events/"))]
    assert len(pages) == 18


async def every_page(client: httpx.AsyncClient, hub: RunningHub) -> dict[str, str]:
    [event] = [e for e in (await hub.get("/api/events"))["items"] if e["type"] == "order.created"]
    event = await hub.get(f"/api/events/{event['id']}")
    delivery = (await hub.get("/api/deliveries"))["items"][0]
    receipt = await hub.get(f"/api/receipts/{event['receipt_id']}")
    rejection = (await hub.get("/api/rejections"))["items"]
    assert rejection, "the forged request was kept"
    paths = ["/console/", "/console/search?q=1042", "/console/events", "/console/deliveries",
             "/console/subscriptions", "/console/subscriptions/erp", "/console/rejections",
             "/console/receipts", f"/console/receipts/{receipt['id']}", "/console/catalog",
             "/console/catalog/order.created", "/console/objects", "/console/objects/order/1042",
             "/console/issues", "/console/audit", f"/console/events/{event['id']}",
             f"/console/deliveries/{delivery['id']}"]  # fmt: skip
    pages = {}
    for path in paths:
        answer = await client.get(path)
        assert answer.status_code == 200, (path, answer.text[:300])
        pages[path] = answer.text
    return pages


async def test_console_actions_are_in_the_audit_trail(tmp_path: Path) -> None:
    write_subscriptions(tmp_path)
    async with running_hub(hub_settings(tmp_path)) as hub:
        ops = await api_subscription(hub)
        async with console(hub, ADMIN_TOKEN) as client:
            page = await client.get(f"/console/subscriptions/{ops}")
            url = f"/console/subscriptions/{ops}/state"
            await client.post(url, data={"state": "paused", "csrf": csrf_of(page.text)})
            audit_page = await client.get("/console/audit")
        trail = (await hub.get("/api/audit"))["items"]
    [entry] = [e for e in trail if e["via"] == "console"]
    assert entry["actor"] == {"id": "admin", "name": "admin"}
    assert entry["method"] == "PATCH" and entry["path"] == f"/api/subscriptions/{ops}"
    assert entry["target"] == {"id": ops}
    assert entry["remote"] == "127.0.0.1"
    assert [e["via"] for e in trail] == ["console", "api"]  # the pause; the create, by curl
    assert "console" in audit_page.text and f"/api/subscriptions/{ops}" in audit_page.text


def test_after_sign_in_only_console_paths() -> None:
    assert sessions.safe_next("/console/deliveries?status=failed") == (
        "/console/deliveries?status=failed"
    )
    for hostile in ["https://evil.example/", "//evil.example/console/", "/console//evil",
                    "/console/\\evil", "/api/events", "", None, "/consolex"]:  # fmt: skip
        assert sessions.safe_next(hostile) == "/console/"


def test_same_origin_rule() -> None:
    base = "http://127.0.0.1:8000/"
    assert sessions.same_origin(None, base)
    assert sessions.same_origin("http://127.0.0.1:8000", base)
    assert not sessions.same_origin("http://127.0.0.1:8001", base)
    assert not sessions.same_origin("https://127.0.0.1:8000", base)
    assert not sessions.same_origin("null", base)
