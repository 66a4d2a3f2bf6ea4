"""The console's partner view: two partners, signed in by token and by portal link, each see
only their own on every page; a portal link opens once, and revoking it, its partner or the
token ends the session at its next page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.config import PROJECT_ROOT
from tests.console.test_session import console, csrf_of
from tests.helpers import Receiver, RunningHub, hub_settings, order_data, running_hub

NORTH = {"name": "north-3pl", "types": ["order.*"], "companies": ["USMF"]}
SOUTH = {"name": "south-market", "types": ["order.*"], "companies": ["DEMF"]}


@dataclass
class Two:
    hub: RunningHub
    tokens: dict[str, str]
    subs: dict[str, str]
    events: dict[str, str]


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[Two]:
    settings = hub_settings(tmp_path, rules=str(PROJECT_ROOT / "rules.yaml"))
    async with Receiver(consent="*") as receiver, running_hub(settings) as hub:
        tokens, subs, events = {}, {}, {}
        for partner, company, order in ((NORTH, "USMF", "N-7"), (SOUTH, "DEMF", "S-7")):
            name = str(partner["name"])
            assert (await hub.post("/api/partners", partner)).status_code == 201
            made = await hub.post("/api/tokens", {"name": f"{name}-flow", "partner": name})
            tokens[name] = made.json()["token"]
            flow = {"authorization": f"Bearer {tokens[name]}"}
            body = {"url": receiver.url(name), "events": ["order.created"]}
            sub = await hub.client.post("/api/subscriptions", json=body, headers=flow)
            assert sub.status_code == 201, sub.text
            subs[name] = sub.json()["id"]
            sent = await hub.send("order.created", order_data(order, company=company), order)
            events[name] = sent.json()["event_ids"][0]
        await hub.hub.worker.wait_recorded(2)
        await hub.hub.tracker.caught_up()
        yield Two(hub, tokens, subs, events)


async def pages(client: httpx.AsyncClient, paths: list[str]) -> dict[str, httpx.Response]:
    return {p: await client.get(p) for p in paths}


async def test_each_partner_sees_only_its_own_on_every_page(two: Two) -> None:
    for me, other in (("north-3pl", "south-market"), ("south-market", "north-3pl")):
        mine_order, their_order = ("N-7", "S-7") if me == "north-3pl" else ("S-7", "N-7")
        async with console(two.hub, two.tokens[me]) as client:
            seen = await pages(client, [
                "/console/", "/console/events", "/console/objects?type=order",
                "/console/subscriptions", "/console/deliveries", "/console/issues",
                f"/console/search?q={their_order}", f"/console/events/{two.events[me]}",
                f"/console/objects/order/{mine_order}",
            ])  # fmt: skip
            hidden = await pages(client, [
                f"/console/events/{two.events[other]}", f"/console/objects/order/{their_order}",
                f"/console/subscriptions/{two.subs[other]}", "/console/audit",
                "/console/rejections", "/console/receipts",
            ])  # fmt: skip
        for path, answer in seen.items():
            assert answer.status_code == 200, (me, path, answer.status_code)
            # The search page echoes what was asked; it must find nothing of the other's.
            shown = answer.text.replace(f'value="{their_order}"', "").replace(
                f"for “{their_order}”", ""
            )
            assert two.subs[other] not in shown and their_order not in shown, path
        assert "Nothing found" in seen[f"/console/search?q={their_order}"].text
        assert two.events[me] in seen["/console/events"].text
        assert mine_order in seen["/console/objects?type=order"].text
        assert two.subs[me] in seen["/console/deliveries"].text
        assert f"Signed in as <strong>{me}-flow</strong>" in seen["/console/"].text
        nav = seen["/console/"].text
        assert 'href="/console/audit"' not in nav and 'href="/console/rejections"' not in nav
        assert 'id="search-box"' in nav
        assert {a.status_code for a in hidden.values()} == {404}, {
            p: a.status_code for p, a in hidden.items()
        }


async def portal_link(hub: RunningHub, partner: str, **body: Any) -> tuple[str, str]:
    made = await hub.post(f"/api/partners/{partner}/portal-links", body)
    assert made.status_code == 201, made.text
    doc = made.json()
    path = re.sub(r"^https?://[^/]+", "", doc["url"])
    return path, doc["id"]


async def test_a_portal_link_opens_once_and_ends_when_revoked(two: Two) -> None:
    hub = two.hub
    path, link_id = await portal_link(hub, "north-3pl", capabilities=["replay"])
    async with httpx.AsyncClient(base_url=hub.served.url, timeout=15) as browser:
        landing = await browser.get(path)  # a preview fetches it: nothing is used up
        assert landing.status_code == 200 and "Continue as north-3pl" in landing.text
        assert (await browser.get(path)).status_code == 200
        signed = await browser.post(path)
        assert signed.status_code == 303 and signed.headers["location"] == "/console/"
        home = await browser.get("/console/")
        assert "Signed in as <strong>north-3pl</strong>" in home.text
        assert two.subs["north-3pl"] in home.text and two.subs["south-market"] not in home.text
        # view and replay only: no pause, rotate or validate; bulk replay is there.
        sub_page = await browser.get(f"/console/subscriptions/{two.subs['north-3pl']}")
        assert "Rotate secret" not in sub_page.text and "Pause" not in sub_page.text
        deliveries = await browser.get("/console/deliveries")
        assert "Replay all matching" in deliveries.text
        pause = await browser.post(
            f"/console/subscriptions/{two.subs['north-3pl']}/state",
            data={"csrf": csrf_of(sub_page.text), "state": "paused"},
        )
        assert pause.status_code == 303  # back to the page, which says why it was refused
        refused = await browser.get(pause.headers["location"])
        assert "Refused" in refused.text and "may not manage" in refused.text
        async with httpx.AsyncClient(base_url=hub.served.url, timeout=15) as second:
            again = await second.post(path)
            assert again.status_code == 401 and "not valid" in again.text
        listed = (await hub.get("/api/partners/north-3pl/portal-links"))["items"]
        assert [(k["id"], k["state"]) for k in listed] == [(link_id, "used")]
        revoked = await hub.client.delete(f"/api/partners/north-3pl/portal-links/{link_id}",
                                          headers=hub.admin)  # fmt: skip
        assert revoked.status_code == 204
        after = await browser.get("/console/")
        assert after.status_code == 303 and "/console/sign-in" in after.headers["location"]


async def test_expiry_and_a_suspended_partner_end_sessions_and_links(two: Two) -> None:
    hub = two.hub
    path, _ = await portal_link(hub, "south-market", expires_in=60)
    async with httpx.AsyncClient(base_url=hub.served.url, timeout=15) as browser:
        assert (await browser.post(path)).status_code == 303
        assert (await browser.get("/console/")).status_code == 200
        hub.clock.advance(61)  # type: ignore[attr-defined]
        assert (await browser.get("/console/")).status_code == 303  # the link's time is over
    unused, _ = await portal_link(hub, "south-market")
    async with console(hub, two.tokens["south-market"]) as client:
        assert (await client.get("/console/")).status_code == 200
        await hub.client.patch("/api/partners/south-market", json={"active": False},
                               headers=hub.admin)  # fmt: skip
        assert (await client.get("/console/")).status_code == 303
        async with httpx.AsyncClient(base_url=hub.served.url, timeout=15) as browser:
            assert (await browser.get(unused)).status_code == 401  # a suspended partner's link
    refused = await hub.client.post("/api/partners/south-market/portal-links", json={},
                                    headers=hub.admin)  # fmt: skip
    assert refused.status_code == 409
