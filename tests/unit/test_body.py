"""Reading an inbound body: size cap, trickle deadline, and a client that goes away."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.requests import ClientDisconnect, Request

from hub.errors import PayloadTooLarge, RequestTimeout
from hub.inbound.webhooks import read_body


def request_of(
    messages: list[dict[str, Any]], length: int | None = None, stall: bool = False
) -> Request:
    pending = list(messages)

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        if stall:
            await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    headers = [] if length is None else [(b"content-length", str(length).encode())]
    return Request({"type": "http", "method": "POST", "headers": headers}, receive)


def chunk(body: bytes, more: bool) -> dict[str, Any]:
    return {"type": "http.request", "body": body, "more_body": more}


async def test_chunks_are_joined_in_order() -> None:
    request = request_of([chunk(b"ab", True), chunk(b"", True), chunk(b"cd", False)])
    assert await read_body(request, 100) == b"abcd"


async def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    with pytest.raises(PayloadTooLarge, match="of 101 bytes"):
        await read_body(request_of([], length=101), 100)


async def test_a_body_that_outgrows_the_limit_is_refused_as_it_arrives() -> None:
    request = request_of([chunk(b"x" * 60, True), chunk(b"x" * 60, False)])
    with pytest.raises(PayloadTooLarge, match="exceeds the limit"):
        await read_body(request, 100)


async def test_a_client_that_disconnects_mid_body() -> None:
    with pytest.raises(ClientDisconnect):
        await read_body(request_of([chunk(b"ab", True)]), 100)


async def test_a_trickle_past_the_deadline_is_a_timeout_and_the_task_lives_on() -> None:
    request = request_of([chunk(b"ab", True)], stall=True)
    with pytest.raises(RequestTimeout, match=r"within 0\.05 s"):
        await read_body(request, 100, seconds=0.05)
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0  # the deadline's cancel was taken back
    await asyncio.sleep(0)  # and the task can still await


async def test_a_real_cancellation_is_not_mistaken_for_the_deadline() -> None:
    request = request_of([], stall=True)
    reader = asyncio.create_task(read_body(request, 100, seconds=30))
    await asyncio.sleep(0.01)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
