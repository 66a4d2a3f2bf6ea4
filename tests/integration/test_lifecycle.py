"""Start-up and shutdown: leases released on stop, the admin token shown once."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from tests.helpers import (
    SUBSCRIBER_SECRET,
    Receiver,
    Reply,
    hub_settings,
    order_data,
    running_hub,
    subscriptions_yaml,
)


async def test_shutdown_releases_in_flight_attempts_and_restart_delivers(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(Reply(200, hold=True))  # the first attempt hangs past shutdown
        (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([
            {"id": "erp", "url": receiver.url(), "events": ["order.*"],
             "secret": SUBSCRIBER_SECRET}]))  # fmt: skip
        settings = hub_settings(tmp_path, drain_seconds=0.2)
        async with running_hub(settings) as hub:
            clock = hub.clock
            [event_id] = (await hub.send("order.created", order_data(), "m")).json()["event_ids"]
            first = await receiver.next()  # in flight now
        with sqlite3.connect(tmp_path / "hub.db") as db:
            row = db.execute("SELECT status, attempts, lease_until FROM deliveries").fetchone()
        assert row == ("pending", 0, None)  # released, not stuck in flight, no false attempt
        async with running_hub(settings, clock=clock) as restarted:
            second = await receiver.next()
            await restarted.hub.worker.wait_recorded(1)
            [delivery] = (await restarted.get(f"/api/events/{event_id}"))["deliveries"]
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == event_id
    assert delivery["status"] == "succeeded"


async def test_admin_token_is_generated_once_and_shown_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = replace(hub_settings(tmp_path), admin_token=None)
    async with running_hub(settings):
        pass
    shown = capsys.readouterr().out
    token = shown.split("HUB_ADMIN_TOKEN=")[1].split()[0]
    async with running_hub(settings) as hub:
        ok = await hub.client.get("/api/events", headers={"authorization": f"Bearer {token}"})
        wrong = await hub.client.get("/api/events", headers=hub.admin)
    assert "HUB_ADMIN_TOKEN=" not in capsys.readouterr().out  # not shown again
    assert ok.status_code == 200
    assert wrong.status_code == 401
    with sqlite3.connect(tmp_path / "hub.db") as db:
        stored = db.execute("SELECT value FROM meta").fetchall()
    assert token not in str(stored)  # only its hash is kept
