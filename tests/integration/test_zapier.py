"""The generated Zapier app's own tests (`npm test`, with zapier-platform-core's appTester),
run against a hub this test starts: they subscribe, receive an event and unsubscribe."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from hub.cli.main import main
from hub.config import PROJECT_ROOT
from tests.helpers import CONNECTOR_SECRET, hub_settings, running_hub

RULES = str(PROJECT_ROOT / "rules.yaml")


async def npm(directory: Path, *args: str, env: dict[str, str] | None = None) -> str:
    if shutil.which("npm") is None:
        pytest.fail("npm is needed for the Zapier app's tests (Debian: apt-get install npm)")
    process = await asyncio.create_subprocess_exec(
        "npm", *args, cwd=directory, env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 300)
    text = out.decode(errors="replace")
    assert process.returncode == 0, f"npm {' '.join(args)} failed:\n{text[-4000:]}"
    return text


async def test_the_zapier_app_passes_its_own_tests_against_a_live_hub(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "zapier"
    assert main(["integrations", "export", "zapier", str(app)]) == 0
    assert "36 triggers" in capsys.readouterr().out
    catalog = json.loads((app / "catalog.json").read_text())
    keys = {t["key"] for t in catalog["triggers"]}
    assert {"order_shipped", "customer_created", "order_status_changed", "order_overdue"} <= keys
    assert (app / "package-lock.json").exists()
    await npm(app, "ci", "--no-audit", "--no-fund", "--prefer-offline")
    async with running_hub(hub_settings(tmp_path, rules=RULES)) as hub:
        token = await hub.post("/api/tokens", {"name": "zapier"})
        env = {
            "HUB_URL": str(hub.client.base_url).rstrip("/"),
            "HUB_API_KEY": token.json()["token"],
            "HUB_CONNECTOR_SECRET": CONNECTOR_SECRET,
        }
        report = await npm(app, "test", env=env)
    assert "# pass 3" in report and "# skipped 0" in report, report
