"""Starting and stopping the servers under test, each in its own process, on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "bench" / "results" / "logs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, within: float = 30.0) -> None:
    """Block until something accepts connections on the port (harness start-up only)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port} after {within} s")


@contextmanager
def served(
    app: str, port: int, env: Mapping[str, str] | None = None, factory: bool = False
) -> Iterator[psutil.Process]:
    """Run ``uvicorn APP`` with the hub's server settings: one worker, uvloop, httptools.

    Its output goes to a file under ``bench/results/logs`` (never to a pipe nobody reads,
    which once filled and froze the server under test); a server that dies says where.
    """
    command = [
        sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    if factory:
        command.append("--factory")
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{app.rsplit(':', 1)[-1]}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        wait_listening(port)
        yield psutil.Process(process.pid)
        if process.poll() is not None:
            raise RuntimeError(f"{app} exited with {process.returncode}; see {log_path}")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
