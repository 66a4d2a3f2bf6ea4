"""Receiver chaos: endpoints that fail 30 % of the time in every way a network can. Everything
is delivered in the end, each attempt is logged as what it was, and no attempt outlives its
timeout by much."""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from collections import Counter
from pathlib import Path

from hub.clock import SystemClock
from tests.helpers import (
    SUBSCRIBER_SECRET,
    hub_settings,
    order_data,
    running_hub,
    subscriptions_yaml,
)
from tests.integration.test_faults import raw_server

EVENTS = 60
TIMEOUT = 0.5
BEHAVIOURS = ["ok"] * 14 + ["500", "hang", "reset", "trickle", "huge", "ok"]  # about 30 % bad
FIRST = ["500", "hang", "reset", "trickle", "huge"]


def chaos(seen: list[tuple[str, str]], rng: random.Random):  # type: ignore[no-untyped-def]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        fields = dict(
            line.decode().split(": ", 1) for line in head.split(b"\r\n")[1:] if b": " in line
        )
        lower = {k.lower(): v for k, v in fields.items()}
        await reader.readexactly(int(lower.get("content-length", "0")))
        # Each misbehaviour at least once, then chance decides.
        what = FIRST[len(seen)] if len(seen) < len(FIRST) else rng.choice(BEHAVIOURS)
        seen.append((lower["webhook-id"], what))
        if what == "500":
            writer.write(b"HTTP/1.1 500 Oops\r\ncontent-length: 4\r\n\r\noops")
        elif what == "hang":
            await asyncio.sleep(TIMEOUT * 4)
        elif what == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return
        elif what == "trickle":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n")
            for _ in range(20):  # one byte every 0.1 s: the whole body would take 10 s
                writer.write(b"x")
                await writer.drain()
                await asyncio.sleep(0.1)
        elif what == "huge":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10485760\r\n\r\n")
            chunk = b"y" * 65536
            for _ in range(160):
                writer.write(chunk)
                await writer.drain()
        else:
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()

    return handle


async def test_everything_is_delivered_through_chaos(tmp_path: Path) -> None:
    seed = random.randrange(1_000_000)
    seen: list[tuple[str, str]] = []
    async with raw_server(chaos(seen, random.Random(seed))) as url:
        (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([
            {"id": "erp", "url": url, "events": ["order.*"], "secret": SUBSCRIBER_SECRET,
             "timeout": TIMEOUT,
             "retry": {"schedule": [0] + [0.05] * 19, "jitter": 0}}]))  # fmt: skip
        async with running_hub(hub_settings(tmp_path), clock=SystemClock()) as hub:
            for n in range(EVENTS):
                assert (
                    await hub.send("order.created", order_data(f"C-{n}"), f"m{n}")
                ).status_code == 202
            for _ in range(600):
                states = Counter(
                    d["status"] for d in (await hub.get("/api/deliveries", limit=500))["items"]
                )
                if states["succeeded"] == EVENTS:
                    break
                await asyncio.sleep(0.05)
            deliveries = (await hub.get("/api/deliveries", limit=500))["items"]
            logs = {d["event_id"]: (await hub.get(f"/api/deliveries/{d['id']}"))["attempts"]
                    for d in deliveries}  # fmt: skip
    report = f"seed={seed} behaviours={Counter(w for _, w in seen)}"
    assert Counter(d["status"] for d in deliveries) == {"succeeded": EVENTS}, report
    by_event: dict[str, list[str]] = {}
    for webhook_id, what in seen:
        by_event.setdefault(webhook_id, []).append(what)
    expected = {"ok": "200", "huge": "200", "500": "500", "hang": "timeout", "trickle": "timeout",
                "reset": "connection reset"}  # fmt: skip
    for event_id, attempts in logs.items():
        recorded = [str(a["status_code"]) if a["status_code"] else a["error"].split(":")[0]
                    for a in attempts]  # fmt: skip
        assert recorded == [expected[w] for w in by_event[event_id]], report
        assert all(a["duration_ms"] < (TIMEOUT + 1.5) * 1000 for a in attempts), report
    assert {w for _, w in seen} >= set(FIRST), report  # the chaos happened
