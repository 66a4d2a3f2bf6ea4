"""SIGKILL the hub while the state tracker is behind the event log: after a restart every
acknowledged event is applied to its order exactly once, with nothing lost and nothing doubled
(one begin and one move per order, in the store and at the subscriber)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import time
from pathlib import Path

import httpx

from hub.config import PROJECT_ROOT
from tests.helpers import (
    CONNECTOR_SECRET,
    SUBSCRIBER_SECRET,
    Receiver,
    listening_socket,
    order_data,
    sign_inbound,
    subscriptions_yaml,
    verify_outbound,
)
from tests.reliability.test_crash import hub_process

ORDERS = 400
SENDERS = 20
KILL_AFTER = 150
# The first hub's tracker lags on purpose (see lagging_hub.py), so the kill surely finds
# events committed and not yet applied.
LAGGING = ("-m", "tests.reliability.lagging_hub")


def cursor_and_newest(db_path: Path) -> tuple[str | None, str]:
    with sqlite3.connect(db_path) as db:
        row = db.execute("SELECT value FROM meta WHERE key = 'state_cursor'").fetchone()
        newest = db.execute("SELECT max(id) FROM events WHERE type = 'order.created'").fetchone()
    return (row[0] if row else None), newest[0]


async def test_sigkill_between_commit_and_state_application(tmp_path: Path) -> None:
    with listening_socket() as probe:
        port = probe.getsockname()[1]
    async with Receiver() as receiver:
        (tmp_path / "subs.yaml").write_text(subscriptions_yaml([
            {"id": "state", "url": receiver.url(), "events": ["order.status_changed"],
             "secret": SUBSCRIBER_SECRET}]))  # fmt: skip
        env = {
            "PATH": os.environ["PATH"], "HUB_PORT": str(port),
            "HUB_DATABASE_URL": f"sqlite:///{tmp_path}/hub.db",
            "HUB_SUBSCRIPTIONS": str(tmp_path / "subs.yaml"), "HUB_ADMIN_TOKEN": "t",
            "HUB_CONNECTOR_STANDARD_SECRET": CONNECTOR_SECRET, "HUB_POLL_INTERVAL": "0.1",
            "HUB_ALLOW_TARGETS": "127.0.0.1/32", "HUB_RULES": str(PROJECT_ROOT / "rules.yaml"),
        }  # fmt: skip
        acked: set[str] = set()
        killed, restarted = asyncio.Event(), asyncio.Event()
        url = f"http://127.0.0.1:{port}/webhooks/standard"

        async def sender(client: httpx.AsyncClient, numbers: range) -> None:
            for n in numbers:
                msg_id = f"msg_state_{n}"
                body = json.dumps(
                    {
                        "type": "order.created",
                        "timestamp": "2026-11-20T09:30:00Z",
                        "data": order_data(f"S-{n}", company="USMF"),
                    }
                ).encode()
                while msg_id not in acked:
                    ts = int(time.time())
                    headers = {"content-type": "application/json", "webhook-id": msg_id,
                               "webhook-timestamp": str(ts),
                               "webhook-signature": sign_inbound(body, msg_id, ts)}  # fmt: skip
                    try:
                        answer = await client.post(url, content=body, headers=headers)
                    except httpx.TransportError:
                        await restarted.wait()
                        continue
                    if answer.status_code in (200, 202):
                        acked.add(msg_id)
                        if len(acked) >= KILL_AFTER:
                            killed.set()
                    else:
                        assert answer.status_code == 503, answer.text

        with hub_process(env, LAGGING) as first:
            async with httpx.AsyncClient(timeout=30) as client:
                per = ORDERS // SENDERS
                burst = asyncio.gather(*(sender(client, range(s * per, (s + 1) * per))
                                         for s in range(SENDERS)))  # fmt: skip
                await killed.wait()
                first.send_signal(signal.SIGKILL)
                first.wait(timeout=30)
                cursor, newest = cursor_and_newest(tmp_path / "hub.db")
                # The point of the test: events were committed that the tracker had not applied.
                assert cursor is None or cursor < newest, (cursor, newest)
                with hub_process(env):
                    restarted.set()
                    await burst
                    while len({verify_outbound(r)["id"] for r in receiver.log}) < 2 * ORDERS:
                        await receiver.next(within=30)
                    await asyncio.sleep(0.3)  # anything doubled would arrive by now

    with sqlite3.connect(tmp_path / "hub.db") as db:
        objects = db.execute("SELECT key, status FROM objects").fetchall()
        per_object = db.execute(
            "SELECT o.key, count(*) FROM logbook l JOIN objects o ON o.id = l.object_id "
            "GROUP BY o.key").fetchall()  # fmt: skip
        changes = db.execute(
            "SELECT subject, count(*) FROM events WHERE type = 'order.status_changed' "
            "GROUP BY subject").fetchall()  # fmt: skip
        timelines = db.execute("SELECT count(*) FROM object_events").fetchone()[0]
    assert len(acked) == ORDERS
    assert sorted(objects) == sorted((f"S-{n}", "company_assigned") for n in range(ORDERS))
    assert set(dict(per_object).values()) == {2}  # begun, moved: once each
    assert len(changes) == ORDERS and set(dict(changes).values()) == {2}
    assert timelines == ORDERS
    delivered = {(verify_outbound(r)["subject"], verify_outbound(r)["data"]["to_status"])
                 for r in receiver.log}  # fmt: skip
    assert len(delivered) == 2 * ORDERS
