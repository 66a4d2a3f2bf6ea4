"""Ingest driven in-process: the ASGI app called directly, no sockets, no server.

    python -m bench.inprocess hub 4000     # or: bare, or raw (an ASGI app with no framework)
    python -m bench.inprocess drain 4000   # the worker, delivering to a sender that answers 200
    python -m bench.inprocess fill 4000 DB # (the drain's backlog, made in a process of its own)

What a request costs the application itself, apart from uvicorn and the network: the hub as
`make bench` starts it (`bench.apps.paused_hub`, its own temporary database) or the bare
endpoint, with 50 requests in flight. Requests are built in slices as they are needed, so the
heap holds what a server's would. The drain mode fills the store with pending deliveries and
times the worker, whose sender answers 200 at once: the hub's own cost per delivery, without
the HTTP client's. `bench.instructions` runs this under callgrind, whose
instruction counts do not move with the neighbours on a shared machine the way times do.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bench.payload import SECRET, signed_request
from hub import signing

CONCURRENCY = 50
SLICE = 500
PATH = "/webhooks/standard"


def slice_of(count: int, run: str) -> list[tuple[list[tuple[bytes, bytes]], bytes]]:
    """`count` signed requests as ASGI header lists and bodies."""
    key = signing.decode_secret(SECRET)
    now = int(time.time())
    built = []
    for n in range(count):
        head, _, body = signed_request(n, "bench", run, now, key).partition(b"\r\n\r\n")
        pairs = [line.split(b": ", 1) for line in head.split(b"\r\n")[1:]]
        built.append(([(name.lower(), value) for name, value in pairs], body))
    return built


async def call(app: Any, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": PATH, "raw_path": PATH.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80), "state": {},
    }  # fmt: skip
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # a client that stays until the answer
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _raw(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 202, "headers": []})
    await send({"type": "http.response.body", "body": b'{"accepted":true}'})


@asynccontextmanager
async def started(which: str) -> AsyncIterator[Any]:
    if which == "bare":
        from bench.apps import bare

        yield bare
        return
    if which == "raw":
        yield _raw
        return
    from bench.apps import paused_hub
    from bench.measures import hub_env

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(hub_env(Path(tmp), "http://127.0.0.1:9"))
        app = paused_hub()
        async with app.router.lifespan_context(app):
            yield app


async def drive(which: str, count: int) -> float:
    """Send `count` requests; returns CPU seconds per request. Raises on any non-2xx."""
    run = str(time.time_ns())
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(headers: list[tuple[bytes, bytes]], body: bytes) -> int:
        async with gate:
            return await call(app, headers, body)

    async with started(which) as app:
        began = time.process_time()
        for start in range(0, count, SLICE):
            batch = slice_of(min(SLICE, count - start), f"{run}-{start}")
            codes = await asyncio.gather(*(one(h, b) for h, b in batch))
            if any(code >= 300 for code in codes):
                raise RuntimeError(f"{which}: {sum(c >= 300 for c in codes)} requests refused")
        return (time.process_time() - began) / max(count, 1)


class AcceptingSender:
    """A `Sender` whose every target answers 200 at once."""

    def __init__(self, expected: int) -> None:
        self.posts = 0
        self.expected = expected
        self.all_posted = asyncio.Event()

    async def post(self, url: str, body: bytes, headers: Any, seconds: float) -> Any:
        from hub.outbound.sender import Response

        self.posts += 1
        if self.posts >= self.expected:
            self.all_posted.set()
        await asyncio.sleep(0)  # a real post yields to the loop at least once
        return Response(200, b"")

    async def aclose(self) -> None:
        return None


async def drain(count: int, workdir: Path) -> float:
    """Deliver the `count` deliveries queued in `workdir`; returns CPU seconds per delivery."""
    from bench.measures import hub_env
    from hub.app import create_app, load_components
    from hub.config import load_settings

    # The delivery path alone: the state tracker's catch-up on the backlog is its own figure.
    os.environ.update(hub_env(workdir, "http://127.0.0.1:9", rules="off"))
    os.environ["HUB_WORKER_CONCURRENCY"] = "64"
    settings = load_settings(os.environ)
    sender = AcceptingSender(count)
    app = create_app(
        settings, load_components(settings, os.environ), sender=sender, settle_heap=True
    )
    async with app.router.lifespan_context(app):
        began = time.process_time()
        print("draining", flush=True)
        await sender.all_posted.wait()
    spent = time.process_time() - began  # leaving the lifespan waits for the write-backs
    return spent / max(count, 1)


def drain_backlog(count: int) -> float:
    """The drain, its backlog filled by another process: callgrind follows no children, so it
    counts the drain alone."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "bench.inprocess", "fill", str(count), f"{tmp}/hub.db"],
            check=True,
        )
        import uvloop

        return uvloop.run(drain(count, Path(tmp)))


def main() -> None:
    import uvloop

    which, count = sys.argv[1], int(sys.argv[2])
    if which == "fill":
        from bench.measures import _fill

        uvloop.run(_fill(Path(sys.argv[3]), count, subscribers=1))
        return
    cpu = drain_backlog(count) if which == "drain" else uvloop.run(drive(which, count))
    unit = "deliveries" if which == "drain" else "requests (their building included)"
    print(f"{which}: {count} {unit}, {cpu * 1e6:.1f} µs CPU each")


if __name__ == "__main__":
    main()
