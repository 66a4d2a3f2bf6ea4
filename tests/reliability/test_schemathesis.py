"""schemathesis against our own /openapi.json: generated requests for every admin route get
no 5xx, and every response matches the document (status, content type, schema).

Run as its CLI against `hub serve`; `HUB_SCHEMA_CASES` raises the examples per operation.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.reliability.process import serve_hub

TOKEN = "schemathesis-admin-token"
CASES = os.environ.get("HUB_SCHEMA_CASES", "15")
CHECKS = ",".join(["not_a_server_error", "status_code_conformance", "content_type_conformance",
                   "response_schema_conformance"])  # fmt: skip


def test_the_api_keeps_its_document(tmp_path: Path) -> None:
    with serve_hub(tmp_path, TOKEN) as url:
        run = subprocess.run(
            [
                sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json",
                "--checks", CHECKS, "--header", f"Authorization: Bearer {TOKEN}",
                "--max-examples", CASES, "--phases", "examples,coverage,fuzzing",
                "--workers", "1", "--request-timeout", "10", "--continue-on-failure",
                # Subscribing makes the hub call the target for consent: generated URLs would
                # have it resolve random names. Those routes have tests with real targets.
                "--exclude-path-regex", r"^/api/subscriptions(/\{id\}/validate)?$",
                "--suppress-health-check", "all",
                "--seed", "1",
            ],
            capture_output=True, text=True, timeout=500,
        )  # fmt: skip
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
