"""SIGKILL the hub mid-burst: nothing acknowledged is lost, nothing unacknowledged is delivered.

The bounded variant that runs in `make test`: 2,000 signed webhooks from 50 concurrent
senders, the hub killed once at a random moment and restarted on the same database, senders
retrying whatever was not acknowledged (as real senders do).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from hub.clock import parse_rfc3339
from hub.config import PROJECT_ROOT
from tests.helpers import (
    CONNECTOR_SECRET,
    SUBSCRIBER_SECRET,
    Receiver,
    Reply,
    listening_socket,
    order_data,
    sign_inbound,
    subscriptions_yaml,
    verify_outbound,
)

MESSAGES = 2_000
SENDERS = 50


@contextmanager
def hub_process(
    env: dict[str, str], argv: Sequence[str] = ("-m", "hub", "serve")
) -> Iterator[subprocess.Popen[str]]:
    """`hub serve` as a real process; yields once it has started."""
    process = subprocess.Popen(
        [sys.executable, *argv],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "Application startup complete" in line:
                break
        else:
            raise AssertionError("hub serve exited before starting")
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


async def test_sigkill_mid_burst_loses_nothing_acknowledged(tmp_path: Path) -> None:
    seed = random.randrange(1_000_000)
    kill_after = random.Random(seed).randrange(MESSAGES // 5, MESSAGES * 4 // 5)
    with listening_socket() as probe:
        port = probe.getsockname()[1]
    async with Receiver() as receiver:
        (tmp_path / "subs.yaml").write_text(subscriptions_yaml([
            {"id": "erp", "url": receiver.url(), "events": ["order.*"],
             "secret": SUBSCRIBER_SECRET}]))  # fmt: skip
        env = {
            "PATH": os.environ["PATH"],
            "HUB_PORT": str(port),
            "HUB_DATABASE_URL": f"sqlite:///{tmp_path}/hub.db",
            "HUB_SUBSCRIPTIONS": str(tmp_path / "subs.yaml"),
            "HUB_ADMIN_TOKEN": "crash-test-token",
            "HUB_CONNECTOR_STANDARD_SECRET": CONNECTOR_SECRET,
            "HUB_POLL_INTERVAL": "0.1",
            "HUB_ALLOW_TARGETS": "127.0.0.1/32",  # the receiver is on loopback
            "HUB_RULES": "off",  # the spine alone: no status events among the counted ones
        }
        acked: dict[str, list[str]] = {}  # msg id -> event ids, from 200 and 202 answers
        killed = asyncio.Event()
        restarted = asyncio.Event()
        url = f"http://127.0.0.1:{port}/webhooks/standard"

        async def sender(client: httpx.AsyncClient, numbers: range) -> None:
            for n in numbers:
                msg_id = f"msg_crash_{n}"
                body = json.dumps({"type": "order.created", "timestamp": "2026-11-20T09:30:00Z",
                                   "data": order_data(f"K-{n}")}).encode()  # fmt: skip
                while msg_id not in acked:
                    ts = int(time.time())
                    headers = {"content-type": "application/json", "webhook-id": msg_id,
                               "webhook-timestamp": str(ts),
                               "webhook-signature": sign_inbound(body, msg_id, ts)}  # fmt: skip
                    try:
                        answer = await client.post(url, content=body, headers=headers)
                    except httpx.TransportError:
                        await restarted.wait()  # the hub is down: a real sender retries later
                        continue
                    if answer.status_code in (200, 202):
                        acked[msg_id] = answer.json()["event_ids"]
                        if len(acked) >= kill_after and not killed.is_set():
                            killed.set()
                    else:
                        assert answer.status_code == 503, answer.text  # never anything else

        with hub_process(env) as first:
            async with httpx.AsyncClient(timeout=30) as client:
                per = MESSAGES // SENDERS
                burst = asyncio.gather(*(sender(client, range(s * per, (s + 1) * per))
                                         for s in range(SENDERS)))  # fmt: skip
                await killed.wait()
                first.send_signal(signal.SIGKILL)  # mid-burst, no warning
                first.wait(timeout=30)
                acked_before_kill = set(acked)
                with hub_process(env):
                    restarted.set()
                    await burst
                    event_ids = {e for ids in acked.values() for e in ids}
                    while not event_ids <= {r.headers["webhook-id"] for r in receiver.log}:
                        await receiver.next(within=30)

    with sqlite3.connect(tmp_path / "hub.db") as db:
        stored = db.execute("SELECT sender_id, event_ids FROM receipts").fetchall()
        events = db.execute("SELECT count(*) FROM events").fetchone()[0]
    delivered = [(r.headers["webhook-id"], verify_outbound(r)["id"]) for r in receiver.log]
    report = f"seed={seed} kill_after={kill_after} acked_before_kill={len(acked_before_kill)}"
    assert len(acked) == MESSAGES, report
    # every acknowledged event is stored exactly once, with the ids its sender was given
    assert sorted(s for s, _ in stored) == sorted(acked), report
    assert {s: json.loads(ids) for s, ids in stored} == acked, report
    assert events == MESSAGES, report
    # every acknowledged event reached the subscriber; duplicates carry the same webhook-id
    assert {w for w, _ in delivered} == event_ids, report
    assert all(webhook_id == cloudevent_id for webhook_id, cloudevent_id in delivered), report


async def settled(url: str) -> None:
    """Wait until no delivery is pending (the last records land just after the last POST)."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for _ in range(400):
            answer = await client.get("/api/deliveries", params={"status": "pending"},
                                      headers={"authorization": "Bearer t"})  # fmt: skip
            if answer.json()["items"] == []:
                return
            await asyncio.sleep(0.05)  # another process: there is nothing to await on
    raise AssertionError("deliveries still pending after 20 s")


async def test_sigkill_with_attempts_in_flight_reattempts_them(tmp_path: Path) -> None:
    """Killed while receivers hold attempts open: after restart every event arrives, the
    interrupted ones again, under the same webhook-id, and no delivery is stuck in flight."""
    count = 200
    with listening_socket() as probe:
        port = probe.getsockname()[1]
    async with Receiver() as receiver:
        receiver.respond(*[Reply(hold=True)] * 40)  # 40 attempts hang until released
        (tmp_path / "subs.yaml").write_text(subscriptions_yaml([
            {"id": "erp", "url": receiver.url(), "events": ["order.*"],
             "secret": SUBSCRIBER_SECRET}]))  # fmt: skip
        env = {
            "PATH": os.environ["PATH"], "HUB_PORT": str(port),
            "HUB_DATABASE_URL": f"sqlite:///{tmp_path}/hub.db",
            "HUB_SUBSCRIPTIONS": str(tmp_path / "subs.yaml"), "HUB_ADMIN_TOKEN": "t",
            "HUB_CONNECTOR_STANDARD_SECRET": CONNECTOR_SECRET, "HUB_POLL_INTERVAL": "0.1",
            "HUB_ALLOW_TARGETS": "127.0.0.1/32",
            "HUB_RULES": "off",
        }  # fmt: skip
        url = f"http://127.0.0.1:{port}/webhooks/standard"
        event_ids: set[str] = set()
        with hub_process(env) as first:
            async with httpx.AsyncClient(timeout=30) as client:
                for n in range(count):
                    msg_id = f"msg_inflight_{n}"
                    body = json.dumps({"type": "order.created", "timestamp": "2026-11-20T09:30:00Z",
                                       "data": order_data(f"F-{n}")}).encode()  # fmt: skip
                    ts = int(time.time())
                    answer = await client.post(url, content=body, headers={
                        "content-type": "application/json", "webhook-id": msg_id,
                        "webhook-timestamp": str(ts),
                        "webhook-signature": sign_inbound(body, msg_id, ts)})  # fmt: skip
                    assert answer.status_code == 202
                    event_ids.update(answer.json()["event_ids"])
            while len(receiver.log) < 40:  # the held attempts are open at the receiver
                await receiver.next(within=30)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        interrupted = {r.headers["webhook-id"] for r in receiver.log[:40]}
        receiver.release()
        with hub_process(env):

            def seen() -> set[str]:
                return {r.headers["webhook-id"] for r in receiver.log}

            def again() -> set[str]:
                return {r.headers["webhook-id"] for r in receiver.log[40:]}

            while not (event_ids <= seen() and interrupted <= again()):
                await receiver.next(within=30)
            await settled(f"http://127.0.0.1:{port}")
    delivered = [(r.headers["webhook-id"], verify_outbound(r)["id"]) for r in receiver.log]
    assert {w for w, _ in delivered} == event_ids
    assert all(w == cloudevent_id for w, cloudevent_id in delivered)
    redelivered = [w for w, _ in delivered[40:] if w in interrupted]
    assert set(redelivered) == interrupted  # each interrupted attempt was made again
    with sqlite3.connect(tmp_path / "hub.db") as db:
        states = dict(db.execute("SELECT status, count(*) FROM deliveries GROUP BY status"))
        leased = db.execute("SELECT count(*) FROM deliveries WHERE lease_until IS NOT NULL")
        assert (states, leased.fetchone()[0]) == ({"succeeded": count}, 0)


async def held_behind_head(client: httpx.AsyncClient, count: int) -> None:
    """Until `count` deliveries wait behind their subject's head (due minutes from now)."""
    for _ in range(400):
        answer = await client.get("/api/deliveries", params={"status": "pending"},
                                  headers={"authorization": "Bearer t"})  # fmt: skip
        later = [d for d in answer.json()["items"]
                 if d["next_attempt_at"] and d["attempt_count"] == 0
                 and parse_rfc3339(d["next_attempt_at"]) > time.time() + 60]  # fmt: skip
        if len(later) >= count:
            return
        await asyncio.sleep(0.05)  # another process: there is nothing to await on
    raise AssertionError(f"fewer than {count} deliveries held behind their head")


async def test_sigkill_after_an_ordered_head_ends_strands_nothing_held_behind_it(
    tmp_path: Path,
) -> None:
    """The head of an ordered subject is delivered and recorded; the hub dies before anything
    else. After the restart, what was held behind the head goes out at once, in order, once."""
    with listening_socket() as probe:
        port = probe.getsockname()[1]
    async with Receiver() as receiver:
        receiver.respond(Reply(hold=True))  # the head stays open until its followers are held
        (tmp_path / "subs.yaml").write_text(subscriptions_yaml([
            {"id": "erp", "url": receiver.url(), "events": ["order.*"],
             "secret": SUBSCRIBER_SECRET, "ordered": True}]))  # fmt: skip
        env = {
            "PATH": os.environ["PATH"], "HUB_PORT": str(port),
            "HUB_DATABASE_URL": f"sqlite:///{tmp_path}/hub.db",
            "HUB_SUBSCRIPTIONS": str(tmp_path / "subs.yaml"), "HUB_ADMIN_TOKEN": "t",
            "HUB_CONNECTOR_STANDARD_SECRET": CONNECTOR_SECRET, "HUB_POLL_INTERVAL": "0.1",
            "HUB_ALLOW_TARGETS": "127.0.0.1/32", "HUB_RULES": "off",
        }  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        sent: list[str] = []
        dying = ("tests/reliability/dying_hub.py",)
        with hub_process(env, dying) as first:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                for n, kind in enumerate(["created", "updated", "updated", "updated", "updated"]):
                    msg_id = f"msg_ordered_{n}"
                    data = order_data("O-1", note=str(n))
                    body = json.dumps({"type": f"order.{kind}", "data": data,
                                       "timestamp": "2026-11-20T09:30:00Z"}).encode()  # fmt: skip
                    ts = int(time.time())
                    answer = await client.post("/webhooks/standard", content=body, headers={
                        "content-type": "application/json", "webhook-id": msg_id,
                        "webhook-timestamp": str(ts),
                        "webhook-signature": sign_inbound(body, msg_id, ts)})  # fmt: skip
                    assert answer.status_code == 202, answer.text
                    sent += answer.json()["event_ids"]
                    if n == 0:
                        await receiver.next(within=30)  # the head is open at the receiver
                await held_behind_head(client, 4)
            receiver.release()  # the head succeeds, is recorded, and the hub dies at once
            assert await asyncio.to_thread(first.wait, 30) == -signal.SIGKILL
        with hub_process(env):
            # A ManualClock is not available across processes: "at once" is well under the
            # five-minute hold, bounded here with room for a loaded machine.
            while len(receiver.log) < len(sent):
                await receiver.next(within=5.0)
    arrived = [r.headers["webhook-id"] for r in receiver.log]
    assert arrived == sent  # in order, and nothing twice
