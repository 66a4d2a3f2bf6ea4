"""`hub serve` as a separate process, for tests that attack it from outside."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from hub.config import PROJECT_ROOT
from hub.inbound.connector import discover

CONNECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_hub(tmp: Path, token: str, extra: Mapping[str, str] | None = None) -> Iterator[str]:
    """Serve a hub with every connector configured; yields its URL."""
    with serve_hub_process(tmp, token, extra) as (url, _):
        yield url


@contextmanager
def serve_hub_process(
    tmp: Path, token: str, extra: Mapping[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As `serve_hub`, yielding the process too (for its memory)."""
    entries = {name: {"secrets": ["env:FUZZ_SECRET"]} for name in discover()}
    (tmp / "none.yaml").write_text('{"subscriptions": []}')
    (tmp / "connectors.yaml").write_text(json.dumps({"connectors": entries}))
    port = free_port()
    env = {
        "PATH": os.environ["PATH"], "HUB_PORT": str(port),
        "HUB_DATABASE_URL": f"sqlite:///{tmp}/hub.db", "HUB_SUBSCRIPTIONS": str(tmp / "none.yaml"),
        "HUB_CONNECTORS": str(tmp / "connectors.yaml"), "HUB_ADMIN_TOKEN": token,
        "FUZZ_SECRET": CONNECTOR_SECRET, "HUB_LOG_LEVEL": "warning", **(extra or {}),
    }  # fmt: skip
    log = (tmp / "hub.log").open("w")  # a file, not a pipe: an unread pipe would stall the hub
    with subprocess.Popen(
        [sys.executable, "-m", "hub", "serve"], cwd=PROJECT_ROOT, env=env,
        stdout=log, stderr=subprocess.STDOUT,
    ) as process:  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_ready(url, process)
            yield url, process
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()


def wait_until_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise AssertionError("hub serve exited before it was ready")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)  # start-up of a separate process: nothing to await on
    raise AssertionError("hub serve was not ready within 15 s")
