"""A running `hub serve` whose log reader falls behind, and what its log lines may hold.

A full pipe, a slow terminal or journald pushing back must never stop the hub: lines are
dropped and counted instead. And no line, at any level the hub ships with, names a target URL.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from hub.config import PROJECT_ROOT
from tests.e2e.test_operations import order, signed
from tests.helpers import SUBSCRIBER_SECRET, Receiver, Reply, subscriptions_yaml
from tests.reliability.process import (
    CONNECTOR_SECRET,
    free_port,
    serve_hub_process,
    wait_until_ready,
)

TOKEN = "log-pressure-admin-token-0123456789"
SECRET_PATH = "services/T0HUB/B0HUB/xoxsecretpart"  # as a Slack incoming-webhook URL carries


def dropped(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "hub_log_lines_dropped_total":
                return float(sample.value)
    raise AssertionError("hub_log_lines_dropped_total is not exported")


async def test_a_pipe_nobody_reads_never_stops_the_hub(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(*[Reply(503)] * 100_000)  # every attempt fails: a retry storm
        (tmp_path / "subs.yaml").write_text(subscriptions_yaml([
            {"id": "erp-orders", "url": receiver.url(), "events": ["order.*"],
             "secret": SUBSCRIBER_SECRET, "retry": {"schedule": [0, 0, 0, 0, 0]}}]))  # fmt: skip
        env = {
            "PATH": os.environ["PATH"], "HUB_PORT": str(free_port()),
            "HUB_DATABASE_URL": f"sqlite:///{tmp_path}/hub.db",
            "HUB_SUBSCRIPTIONS": str(tmp_path / "subs.yaml"), "HUB_ADMIN_TOKEN": TOKEN,
            "HUB_CONNECTOR_STANDARD_SECRET": CONNECTOR_SECRET, "HUB_LOG_LEVEL": "info",
            "HUB_LOG_BUFFER": "20", "HUB_ALLOW_TARGETS": "127.0.0.0/8", "HUB_RULES": "off",
        }  # fmt: skip
        url = f"http://127.0.0.1:{env['HUB_PORT']}"
        with unread_hub(url, env):
            async with asyncio.timeout(120), httpx.AsyncClient(base_url=url, timeout=10) as c:
                await storm(c)
                health = await c.get("/healthz")
                body = order("after-storm")
                accepted = await c.post(
                    "/webhooks/standard", content=body, headers=signed(body, "after")
                )
                admin = {"authorization": f"Bearer {TOKEN}"}
                metrics = await c.get("/metrics", headers=admin)
                await asyncio.wait_for(delivered(receiver, "after-storm"), 30)
    assert health.status_code == 200
    assert accepted.status_code == 202, accepted.text
    assert dropped(metrics.text) > 0


@contextmanager
def unread_hub(url: str, env: dict[str, str]) -> Iterator[None]:
    """`hub serve` with both pipes left unread: once the kernel's buffer is full, every write
    to them blocks."""
    with subprocess.Popen(
        [sys.executable, "-m", "hub", "serve"], cwd=PROJECT_ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as process:  # fmt: skip
        try:
            wait_until_ready(url, process)
            yield
        finally:
            process.kill()
            process.wait(timeout=30)


async def storm(client: httpx.AsyncClient) -> None:
    """Orders whose deliveries all fail, and refused webhooks, each refusal a line of its own:
    together far more than a pipe's 64 KiB."""
    gate = asyncio.Semaphore(32)

    async def send(n: int) -> None:
        async with gate:
            if n % 10 == 0:
                body = order(f"S-{n}")
                answer = await client.post(
                    "/webhooks/standard", content=body, headers=signed(body, f"s{n}")
                )
                assert answer.status_code == 202, answer.text
                return
            bad = {"content-type": "application/json", "webhook-signature": "v1,bad"}
            answer = await client.post("/webhooks/standard", content=b"{}", headers=bad)
            assert answer.status_code == 401

    await asyncio.gather(*(send(n) for n in range(3000)))


async def delivered(receiver: Receiver, order_id: str) -> None:
    """Until an attempt to deliver this order arrives: delivery goes on through the storm."""
    while True:
        got = await receiver.next(within=30)
        if got.json()["data"]["order_id"] == order_id:
            return


async def test_no_line_names_a_target_url_even_at_debug(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(Reply(500), Reply(500))
        target = receiver.url(SECRET_PATH)
        (tmp_path / "subs.yaml").write_text(subscriptions_yaml([
            {"id": "slack", "url": target, "events": ["order.*"],
             "secret": SUBSCRIBER_SECRET, "retry": {"schedule": [0]}}]))  # fmt: skip
        extra = {
            "HUB_SUBSCRIPTIONS": str(tmp_path / "subs.yaml"), "HUB_LOG_LEVEL": "debug",
            "HUB_ALLOW_TARGETS": "127.0.0.0/8", "HUB_RULES": "off",
        }  # fmt: skip
        admin = {"authorization": f"Bearer {TOKEN}"}
        with serve_hub_process(tmp_path, TOKEN, extra) as (url, _):
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                # An API subscription: its consent handshake is an OPTIONS to the target.
                made = await client.post(
                    "/api/subscriptions",
                    json={"url": receiver.url(f"{SECRET_PATH}/api"), "events": ["order.*"]},
                    headers=admin,
                )
                body = order("U-1")
                await client.post("/webhooks/standard", content=body, headers=signed(body, "u1"))
                for _ in range(200):
                    failed = await client.get("/api/deliveries?status=failed", headers=admin)
                    if failed.json()["items"]:
                        break
                    await asyncio.sleep(0.05)  # a separate process: poll its API
    assert made.status_code in (201, 202), made.text
    assert receiver.validations, "the consent handshake never reached the receiver"
    assert failed.json()["items"], "the failing delivery was never dead-lettered"
    text = (tmp_path / "hub.log").read_text()
    assert "dead-lettered" in text
    assert SECRET_PATH not in text
    assert receiver.url("") not in text
