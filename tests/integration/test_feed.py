"""The pull feed: acceptance order from a durable cursor, filters, and long-polling."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.helpers import hub_settings, order_data, running_hub


async def test_pages_in_acceptance_order_with_filters(tmp_path: Path) -> None:
    async with running_hub(hub_settings(tmp_path)) as hub:
        for n in range(5):
            extra = {"company": "USMF" if n % 2 else "DEMF"}
            await hub.send("order.created", order_data(f"A-{n}", total=f"{n}0.00"), f"m{n}",
                           extra=extra)  # fmt: skip
        await hub.send("customer.created", {"customer_id": "C-1"}, "mc")
        first = await hub.get("/api/feed", limit=2)
        assert [e["data"]["order_id"] for e in first["items"]] == ["A-0", "A-1"]
        rest = await hub.get("/api/feed", after=first["next_cursor"])
        assert [e["type"] for e in rest["items"]] == ["order.created"] * 3 + ["customer.created"]
        usmf = await hub.get("/api/feed", types="order.*", company="USMF")
        assert [e["data"]["order_id"] for e in usmf["items"]] == ["A-1", "A-3"]
        big = await hub.get("/api/feed", types="order.*", filter='{"total": {"$gte": 30}}')
        assert [e["data"]["order_id"] for e in big["items"]] == ["A-3", "A-4"]
        # Past the last event, the cursor stands still and the answer is empty.
        end = await hub.get("/api/feed", after=rest["next_cursor"])
        assert (end["items"], end["next_cursor"]) == ([], rest["next_cursor"])


async def test_a_reader_waits_for_the_next_event(tmp_path: Path) -> None:
    async with running_hub(hub_settings(tmp_path)) as hub:
        await hub.send("order.created", order_data("W-0"), "w0")
        cursor = (await hub.get("/api/feed"))["next_cursor"]
        reader = asyncio.create_task(hub.get("/api/feed", after=cursor, wait=20))
        await asyncio.wait_for(hub.hub.arrivals.parked.wait(), 10)  # it found nothing: parked
        await hub.send("order.created", order_data("W-1"), "w1")
        got = await reader
        assert [e["data"]["order_id"] for e in got["items"]] == ["W-1"]


async def test_the_cursor_survives_a_restart(tmp_path: Path) -> None:
    async with running_hub(hub_settings(tmp_path)) as hub:
        await hub.send("order.created", order_data("R-0"), "r0")
        cursor = (await hub.get("/api/feed"))["next_cursor"]
    async with running_hub(hub_settings(tmp_path)) as hub:
        await hub.send("order.created", order_data("R-1"), "r1")
        after = await hub.get("/api/feed", after=cursor)
        assert [e["data"]["order_id"] for e in after["items"]] == ["R-1"]


async def test_bad_parameters_and_scoped_tokens(tmp_path: Path) -> None:
    async with running_hub(hub_settings(tmp_path)) as hub:
        for params, status in [({"after": "nope"}, 400), ({"types": "Order!"}, 400),
                               ({"filter": "{"}, 400), ({"filter": '{"a": {"$x": 1}}'}, 422),
                               ({"wait": "61"}, 400), ({"limit": "0"}, 400)]:  # fmt: skip
            response = await hub.client.get("/api/feed", params=params, headers=hub.admin)
            assert response.status_code == status, params
            assert response.headers["content-type"] == "application/problem+json"
        token = (await hub.post("/api/tokens", {"name": "batch-job"})).json()["token"]
        scoped = await hub.client.get("/api/feed", headers={"authorization": f"Bearer {token}"})
        assert scoped.status_code == 403  # a token of no partner reads no events
        partner = {"name": "batch", "types": ["*"], "companies": ["*"]}
        assert (await hub.post("/api/partners", partner)).status_code == 201
        token = (await hub.post("/api/tokens", {"name": "job", "partner": "batch"})).json()["token"]
        scoped = await hub.client.get("/api/feed", headers={"authorization": f"Bearer {token}"})
        assert scoped.status_code == 200
