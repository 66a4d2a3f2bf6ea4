"""Slow and greedy clients: slowloris headers, trickled bodies and many large bodies at once
are cut off in bounded time, while the hub keeps serving and its memory stays bounded."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from tests.reliability.process import serve_hub_process

LIMITS = {"HUB_HEADER_TIMEOUT": "1", "HUB_BODY_TIMEOUT": "1", "HUB_MAX_BODY_BYTES": "65536"}


async def slowloris(port: int, seconds: float) -> float | None:
    """Trickle headers; the time the hub closed the connection, or None if it never did."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(b"POST /webhooks/standard HTTP/1.1\r\nhost: hub\r\n")
    try:
        while time.monotonic() - started < seconds:
            writer.write(b"x-slow: 1\r\n")
            await writer.drain()
            try:
                if await asyncio.wait_for(reader.read(100), 0.25) == b"":
                    return time.monotonic() - started
            except TimeoutError:
                continue
    except ConnectionError:
        return time.monotonic() - started
    finally:
        writer.close()
    return None


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def test_slow_headers_and_bodies_are_cut_off_and_the_hub_keeps_serving(
    tmp_path: Path,
) -> None:
    with serve_hub_process(tmp_path, "t", LIMITS) as (url, _):
        port = int(url.rsplit(":", 1)[1])
        attackers = [asyncio.create_task(slowloris(port, 8)) for _ in range(30)]
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            assert (await client.get("/readyz")).status_code == 200  # still serving
            closed = await asyncio.gather(*attackers)
            assert all(c is not None and c < 4 for c in closed), closed  # 1 s deadline, margin

            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            head = b"POST /webhooks/standard HTTP/1.1\r\nhost: hub\r\n"
            writer.write(head + b"content-type: application/json\r\ncontent-length: 100\r\n\r\n{")
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            writer.close()
            assert head.startswith(b"HTTP/1.1 408"), head[:200]
            assert b"content-type: application/problem+json" in head


async def test_many_large_bodies_at_once_are_refused_with_bounded_memory(tmp_path: Path) -> None:
    with serve_hub_process(tmp_path, "t", LIMITS) as (url, process):
        before = rss_mb(process.pid)
        body = b'{"x": "' + b"y" * 2_000_000 + b'"}'
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:

            async def chunks() -> AsyncIterator[bytes]:
                for i in range(0, len(body), 65536):  # no Content-Length: cut off by size
                    yield body[i : i + 65536]

            async def big(chunked: bool) -> int:
                headers = {"content-type": "application/json"}
                content = chunks() if chunked else body
                try:
                    sent = await client.post("/webhooks/standard", content=content, headers=headers)
                except httpx.WriteError:  # refused before the upload ended: also fine
                    return 413
                return sent.status_code

            statuses = await asyncio.gather(*(big(n % 2 == 0) for n in range(60)))
            peak = rss_mb(process.pid)
            assert set(statuses) == {413}
            assert (await client.get("/readyz")).status_code == 200
    assert peak - before < 100, (before, peak)  # 60 x 2 MB never held at once
