"""The README's walk-through, run exactly as written against a real `hub serve` process."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

from hub.api.registration import subscription_from_body
from hub.catalog import Catalog
from hub.config import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
BLOCK = re.compile(r"<!-- walkthrough(?: expect=\"([^\"]+)\")? -->\n```sh\n(.*?)```", re.S)
DEMO_CONNECTOR = "whsec_ZGVtby1zdGFuZGFyZC1jb25uZWN0b3Itc2VjcmV0"
DEMO_SUBSCRIBER = "whsec_ZGVtby1zdWJzY3JpcHRpb24tc2lnbmluZy1zZWNyZXQ="
TOKEN = "readme-walkthrough-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def script(receiver_port: int) -> str:
    """The walk-through blocks as one bash script; `expect` blocks retry until they show it."""
    parts = ["set -euo pipefail"]
    blocks = BLOCK.findall(README.read_text())
    assert len(blocks) >= 6, "the README lost its walk-through markers"
    for expect, code in blocks:
        code = code.replace("9000", str(receiver_port))
        if expect:
            # Delivery is asynchronous: a reader would simply look again; so does the test.
            parts.append(
                f"for try in $(seq 100); do out=$({code}); "
                f'grep -q "{expect}" <<<"$out" && break; sleep 0.1; done; echo "$out"'
            )
        elif "hub listen" in code:
            # The listener prints from the background; into a file of its own, so that its
            # lines never land inside a curl answer the test reads.
            parts.append(code.replace(" &", ' >"$LISTENED" 2>&1 &', 1))
        else:
            parts.append(code)
    parts.append('cat "$LISTENED"')  # what the listener printed, once it has stopped
    return "\n".join(parts)


def makefile_default(name: str) -> str:
    """What `make run` exports for a variable (``export NAME ?= value``)."""
    text = (PROJECT_ROOT / "Makefile").read_text()
    match = re.search(rf"^export {name}\s*\?=\s*(\S+)", text, re.M)
    assert match is not None, f"the Makefile sets no {name}"
    return match.group(1)


def test_make_run_allows_only_the_demo_receiver() -> None:
    # Not the whole of loopback: a subscription added to a demo hub must not reach the hub's
    # own port or any other local service.
    assert makefile_default("HUB_ALLOW_TARGETS") == "127.0.0.1:9000"


def test_the_readme_walkthrough_runs(tmp_path: Path) -> None:
    hub_port, receiver_port = free_port(), free_port()
    subscriptions = tmp_path / "subscriptions.yaml"
    text = (PROJECT_ROOT / "subscriptions.yaml").read_text()
    subscriptions.write_text(text.replace("127.0.0.1:9000", f"127.0.0.1:{receiver_port}"))
    env = {
        "PATH": os.environ["PATH"],
        "HUB_PORT": str(hub_port),
        "HUB_DATABASE_URL": f"sqlite:///{tmp_path}/hub.db",
        "HUB_SUBSCRIPTIONS": str(subscriptions),
        "HUB_ADMIN_TOKEN": TOKEN,
        "HUB_CONNECTOR_STANDARD_SECRET": DEMO_CONNECTOR,
        "HUB_DEMO_SUBSCRIPTION_SECRET": DEMO_SUBSCRIBER,
        "SHOPIFY_CLIENT_SECRET": makefile_default("SHOPIFY_CLIENT_SECRET"),
        "D365_ENDPOINT_KEY": makefile_default("D365_ENDPOINT_KEY"),
        # as `make run` sets it, for the demo receiver, on the port this test gave it
        "HUB_ALLOW_TARGETS": makefile_default("HUB_ALLOW_TARGETS").replace(
            ":9000", f":{receiver_port}"
        ),
    }
    logs: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-m", "hub", "serve"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as hub:  # fmt: skip
        assert hub.stdout is not None
        try:
            for line in hub.stdout:  # blocks until the server says it is up
                logs.append(line)
                if "hub: serving on" in line:  # bound and started up: requests are served
                    assert f"http://127.0.0.1:{hub_port}" in line
                    break
            else:
                raise AssertionError("hub serve exited before starting:\n" + "".join(logs))
            # Keep draining the hub's output so it never blocks on a full pipe.
            drain = threading.Thread(target=lambda: logs.extend(hub.stdout or []), daemon=True)
            drain.start()
            walk = subprocess.run(
                ["bash", "-c", script(receiver_port)],
                cwd=PROJECT_ROOT,
                env={**env, "HUB_URL": f"http://127.0.0.1:{hub_port}",
                     "LISTENED": str(tmp_path / "listener.log")},
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip
        finally:
            hub.terminate()
            hub.wait(timeout=30)
        drain.join(timeout=10)
    out = walk.stdout
    assert walk.returncode == 0, walk.stdout + walk.stderr
    assert '"duplicate":false} 202' in out
    assert '"duplicate":true} 200' in out
    assert "problem/invalid-signature" in out and " 401" in out
    assert "order.created order/1001" in out and "signature=valid" in out  # the listener
    assert '"status":"succeeded"' in out
    assert "order.created order/820982911946154508" in out  # Shopify's order, at the listener
    assert '"order_id":"820982911946154508"' in out
    assert "demo-orders" in out  # hub deliveries
    assert "queued 0 deliveries again" in out  # hub replay --status failed
    # The D365 invoice found the Shopify order by its name, and moved it.
    assert "invoiced (completed / fulfilled)" in out and "sales_order_id 000812" in out
    assert "order.status_changed order/820982911946154508" in out  # at the listener
    assert TOKEN not in out + walk.stderr + "".join(logs)
    assert DEMO_CONNECTOR not in "".join(logs)
    # A graceful stop: uvicorn finishes shutdown, then re-raises SIGTERM as its exit status.
    assert "Application shutdown complete" in "".join(logs)
    assert hub.returncode in (0, -15), "".join(logs)


def test_the_power_automate_example_registers_what_it_says(catalog: Catalog) -> None:
    # The README's ready-to-paste HTTP Webhook action: its subscribe body, as the flow would
    # send it, must register a subscription for that company, not a payload filter.
    text = (PROJECT_ROOT / "README.md").read_text()
    block = next(b for b in re.findall(r"```json\n(.*?)```", text, re.S) if "HttpWebhook" in b)
    action = json.loads(block)
    body = action["inputs"]["subscribe"]["body"]
    body["callbackUrl"] = "https://prod-1.westus.logic.azure.com/workflows/x/triggers/y?sig=z"
    sub, _ = subscription_from_body(body, None, catalog, 1_900_000_000.0)
    assert (sub.company, sub.filter, sub.events) == ("USMF", None, ("order.shipped",))
    unsubscribe = action["inputs"]["unsubscribe"]
    assert unsubscribe["method"] == "DELETE" and "callback_url=" in unsubscribe["uri"]
