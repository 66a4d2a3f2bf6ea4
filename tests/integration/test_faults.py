"""Network faults: respx provokes them through the worker; raw sockets test the real client."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
import respx

from hub.clock import ManualClock
from hub.config import Secret
from hub.ids import new_id
from hub.model import Delivery, DeliveryStatus, Event, Receipt
from hub.outbound.retry import RetryPolicy
from hub.outbound.sender import AiohttpSender, HttpxSender, SendError
from hub.outbound.ssrf import AddressPolicy, parse_address_policy
from hub.outbound.subscriptions import Subscription, SubscriptionRegistry
from hub.outbound.worker import DeliveryWorker, WorkerSettings
from hub.store.sqlite import SqliteStore
from tests.helpers import SUBSCRIBER_SECRET

TARGET = "http://receiver.test/hook"


async def test_worker_records_timeouts_resets_and_refusals_then_succeeds() -> None:
    store = SqliteStore.throwaway()
    await store.open()
    clock = ManualClock(1_700_000_000)
    sub = Subscription("erp", TARGET, ("order.*",), (Secret(SUBSCRIBER_SECRET),),
                       retry=RetryPolicy((0, 10, 10, 10, 10), jitter=0))  # fmt: skip
    event = Event(new_id("evt"), "order.created", "/connectors/standard", "standard",
                  clock.now(), clock.now(), '{"order_id":"1"}', "order/1")  # fmt: skip
    delivery = Delivery(new_id("dlv"), event.id, "erp", event.type, DeliveryStatus.PENDING,
                        clock.now(), clock.now())  # fmt: skip
    await store.ingest(Receipt(new_id("rcp"), "standard", None, clock.now(), b""), [event],
                       [delivery])  # fmt: skip
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(TARGET).mock(
            side_effect=[
                httpx.ReadTimeout("read timed out"),
                httpx.RemoteProtocolError("peer closed connection"),
                httpx.ConnectError("connection refused"),
                httpx.Response(500, text="oops"),
                httpx.Response(200, text="thanks"),
            ]
        )
        sender = HttpxSender(httpx.AsyncClient())
        worker = DeliveryWorker(store, SubscriptionRegistry([sub]), sender, clock,
                                WorkerSettings(poll_interval=0.05))  # fmt: skip
        clock.listen(worker.notify)
        worker.start()
        try:
            for n in range(1, 6):
                await asyncio.wait_for(worker.wait_recorded(n), 10)
                clock.advance(10)
        finally:
            await worker.stop()
            await sender.aclose()
    attempts = await store.list_attempts(delivery.id)
    done = await store.get_delivery(delivery.id)
    await store.close()
    errors = [a.error.split(":")[0] if a.error else a.status_code for a in attempts]
    assert errors == ["timeout", "connection reset", "connect failed", 500, 200]
    assert route.call_count == 5
    sent = route.calls[0].request
    assert sent.headers["webhook-id"] == event.id
    assert done is not None and done.status == DeliveryStatus.SUCCEEDED


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[str]:
    done: list[asyncio.Future[None]] = []

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        finished = asyncio.get_running_loop().create_future()
        done.append(finished)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            finished.set_result(None)

    server = await asyncio.start_server(tracked, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        server.close()
        await server.wait_closed()
        # Handlers outlive server.close() on 3.11: wait so no socket is left to the GC.
        await asyncio.wait_for(asyncio.gather(*done), 10)


async def read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n")
         if line.lower().startswith(b"content-length")), 0)  # fmt: skip
    await reader.readexactly(length)


async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()  # RST, not FIN


async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    await reader.read()  # never answers; returns when the client gives up


async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    size = 10 * 1024 * 1024
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % size)
    # The client stops reading after its prefix and closes: drain() then raises, as intended.
    for _ in range(size // 65536):
        writer.write(b"x" * 65536)
        await writer.drain()


async def redirect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(
        b"HTTP/1.1 302 Found\r\nlocation: http://169.254.169.254/\r\ncontent-length: 0\r\n\r\n"
    )
    await writer.drain()


LOOPBACK = parse_address_policy("127.0.0.0/8")


@pytest.fixture
async def sender() -> AsyncIterator[AiohttpSender]:
    the_sender = AiohttpSender(concurrency=4, policy=LOOPBACK)
    yield the_sender
    await the_sender.aclose()


async def test_connection_reset(sender: AiohttpSender) -> None:
    async with raw_server(reset) as url:
        with pytest.raises(SendError, match="connection reset"):
            await sender.post(url, b"{}", {}, 5)


async def test_timeout_bounds_the_attempt(sender: AiohttpSender) -> None:
    async with raw_server(hang) as url:
        with pytest.raises(SendError, match="timeout"):
            await asyncio.wait_for(sender.post(url, b"{}", {}, 0.3), 5)


async def test_refused_connection(sender: AiohttpSender) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: refused
        with pytest.raises(SendError, match="connect failed"):
            await sender.post(f"http://127.0.0.1:{port}/", b"{}", {}, 5)


async def test_a_10_mb_response_is_cut_to_its_prefix(sender: AiohttpSender) -> None:
    async with raw_server(huge) as url:
        response = await asyncio.wait_for(sender.post(url, b"{}", {}, 5), 10)
    assert response.status == 200
    assert response.body == b"x" * 2048


async def test_redirects_are_not_followed(sender: AiohttpSender) -> None:
    async with raw_server(redirect) as url:
        response = await sender.post(url, b"{}", {}, 5)
    assert response.status == 302


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "[::1]",
     "[::ffff:127.0.0.1]"],
)  # fmt: skip
@pytest.mark.parametrize("kind", ["aiohttp", "httpx"])
async def test_both_senders_refuse_loopback_in_every_spelling(host: str, kind: str) -> None:
    """The check runs when the connection is made: names and odd spellings resolve first."""
    from hub.outbound.sender import build_sender

    async with raw_server(accept_and_count) as url:
        port = url.rsplit(":", 1)[1].split("/")[0]
        sender = build_sender(kind, 4, AddressPolicy())
        try:
            # Refused by the policy, or (odd spellings) refused as URLs: either way, not sent.
            with pytest.raises(SendError, match=r"refused|canonical|Invalid"):
                await sender.post(f"http://{host}:{port}/hook", b"{}", {}, 5)
        finally:
            await sender.aclose()
    assert CONNECTIONS == []  # nothing reached the socket


CONNECTIONS: list[int] = []


async def accept_and_count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    CONNECTIONS.append(1)
    writer.close()
