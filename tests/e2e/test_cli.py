"""The `hub` command, run as a real process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import (
    ADMIN_TOKEN,
    SUBSCRIBER_SECRET,
    Receiver,
    Reply,
    hub_settings,
    order_data,
    running_hub,
    subscriptions_yaml,
)


def hub_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin", **(env or {})},
    )  # fmt: skip


def test_check_accepts_the_repository_configuration() -> None:
    done = hub_cli("check", env={"HUB_DEMO_SUBSCRIPTION_SECRET": SUBSCRIBER_SECRET})
    assert done.returncode == 0, done.stderr
    assert "configuration OK" in done.stdout
    assert "warning: no secret set for bigcommerce, cloudevents, d365" in done.stdout


def test_check_names_the_bad_entry(tmp_path: Path) -> None:
    bad = tmp_path / "subs.yaml"
    bad.write_text(subscriptions_yaml([{"id": "erp", "url": "http://x.test/", "events": ["order.*"],
                                        "secret": "env:MISSING_SECRET"}]))  # fmt: skip
    done = hub_cli("check", "--subscriptions", str(bad))
    assert done.returncode == 2
    assert f"{bad}: subscription 'erp'" in done.stderr
    assert "MISSING_SECRET" in done.stderr


def test_bad_environment_values_stop_start_up() -> None:
    done = hub_cli("serve", env={"HUB_PORT": "eighty"})
    assert done.returncode == 2
    assert "HUB_PORT: expected int" in done.stderr


def test_event_types_prints_the_catalog() -> None:
    done = hub_cli("event-types", "--json")
    catalog = {t["type"]: t for t in json.loads(done.stdout)}
    assert {"order.created", "order.shipped", "order.invoiced", "customer.created"} <= set(catalog)
    assert catalog["order.shipped"]["example"]["tracking_number"]


def test_sign_matches_the_official_vector() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    done = hub_cli("sign", "--id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "--timestamp", "1614265330",
                   "--secret", secret, '{"test": 2432232314}')  # fmt: skip
    assert done.stdout.strip() == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


async def run_cli(url: str, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", *args, "--url", url,
        env={"PATH": "/usr/bin", "HUB_ADMIN_TOKEN": ADMIN_TOKEN},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def test_deliveries_and_replay_against_a_running_hub(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(*[Reply(500)] * 3)
        (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([
            {"id": "erp", "url": receiver.url(), "events": ["order.*"],
             "secret": SUBSCRIBER_SECRET, "retry": {"schedule": [0]}}]))  # fmt: skip
        async with running_hub(hub_settings(tmp_path)) as hub:
            for n in range(3):
                await hub.send("order.created", order_data(f"C-{n}"), f"m{n}")
            await hub.hub.worker.wait_recorded(3)
            url = hub.served.url
            listed = await run_cli(url, "deliveries", "--status", "failed")
            hub.hub.worker.paused = True
            one_id = listed[1].split()[0]
            single = await run_cli(url, "replay", one_id)
            bulk = await run_cli(url, "replay", "--status", "failed", "--subscription", "erp")
            hub.hub.worker.paused = False
            hub.hub.worker.notify()
            await hub.hub.worker.wait_recorded(6)
            after = await run_cli(url, "deliveries", "--status", "failed")
            wrong = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "hub", "deliveries", "--url", url,
                env={"PATH": "/usr/bin", "HUB_ADMIN_TOKEN": "nope"},
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            _, wrong_err = await wrong.communicate()
    assert listed[0] == 0
    assert listed[1].count(" failed ") == 3
    assert single[1].startswith(f"queued {one_id} again")
    assert bulk[0] == 0
    assert "queued 2 deliveries again" in bulk[1]
    assert "[##############################] 2/2" in bulk[2]  # the progress bar
    assert "no deliveries match" in after[1]
    assert wrong.returncode != 0
    assert b"401" in wrong_err
