"""The HTTP seam of delivery: POST bytes to a URL, report what came back.

Two implementations of `Sender`:

* `AiohttpSender`, the default. On our 2-core machines aiohttp posts about 9,000 requests/s
  where httpx's default transport manages about 450 (`shared/baselines.md`), so the client
  would otherwise cap fan-out.
* `HttpxSender`, over any `httpx.AsyncClient`: used with respx in tests to provoke timeouts and
  resets, and selectable with ``HUB_HTTP_CLIENT=httpx``.

Both bound each attempt by a total timeout, never follow redirects, and read at most
`RESPONSE_PREFIX` bytes of the response, so a huge or trickling body cannot hold a worker.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from hub.outbound.ssrf import AddressPolicy, guarded_client, literal_refused

RESPONSE_PREFIX = 2048
VERDICTS_KEPT = 4096  # IP-literal verdicts remembered per target URL (the policy is fixed)


@dataclass(frozen=True)
class Response:
    """What an attempt got back."""

    status: int
    body: bytes
    retry_after: str | None = None


class SendError(Exception):
    """No HTTP response: the message says why (timeout, refused, reset, ...)."""


class Sender(Protocol):
    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], seconds: float
    ) -> Response:
        """POST and return the response.

        Raises:
            SendError: no response arrived.
        """

    async def aclose(self) -> None: ...


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, keeping only the addresses the SSRF policy permits."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        permitted = set(self._policy.check(host, [r["host"] for r in found]))
        return [r for r in found if r["host"] in permitted]

    async def close(self) -> None:
        await self._inner.close()


class AiohttpSender:
    """`Sender` on one aiohttp session with a pooled connector."""

    def __init__(self, concurrency: int = 64, policy: AddressPolicy | None = None) -> None:
        self._concurrency = concurrency
        self._policy = policy or AddressPolicy()
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}
        self._verdicts: dict[str, bool] = {}

    def _client(self) -> aiohttp.ClientSession:
        # Created lazily: an aiohttp session must be made inside the running loop.
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._concurrency, ttl_dns_cache=60, resolver=GuardedResolver(self._policy)
            )
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        return self._session

    def _refused(self, url: str) -> bool:
        """aiohttp skips the resolver for IP literals, so those are checked here, once per URL:
        parsing the address cost 12 µs of every delivery (measured)."""
        verdict = self._verdicts.get(url)
        if verdict is None:
            if len(self._verdicts) >= VERDICTS_KEPT:
                self._verdicts.clear()
            verdict = literal_refused(urlsplit(url).hostname or "", self._policy)
            self._verdicts[url] = verdict
        return verdict

    def _timeout(self, seconds: float) -> aiohttp.ClientTimeout:
        found = self._timeouts.get(seconds)
        if found is None:
            found = self._timeouts[seconds] = aiohttp.ClientTimeout(total=seconds)
        return found

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], seconds: float
    ) -> Response:
        if self._refused(url):
            raise SendError("refused: the target is not a public address (HUB_ALLOW_TARGETS)")
        try:
            async with self._client().post(
                url,
                data=body,
                headers=dict(headers),
                allow_redirects=False,
                timeout=self._timeout(seconds),
            ) as resp:
                prefix = b""
                while len(prefix) < RESPONSE_PREFIX:
                    chunk = await resp.content.read(RESPONSE_PREFIX - len(prefix))
                    if not chunk:
                        break
                    prefix += chunk
                return Response(resp.status, prefix, resp.headers.get("retry-after"))
        except TimeoutError:
            raise SendError(f"timeout: no complete response within {seconds:g} s") from None
        except aiohttp.ClientConnectorError as exc:
            raise SendError(f"connect failed: {exc.os_error or exc}") from None
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            raise SendError(f"connection reset: {exc}") from None
        except aiohttp.ClientError as exc:
            raise SendError(f"{type(exc).__name__}: {exc}") from None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class HttpxSender:
    """`Sender` on an `httpx.AsyncClient` (owned by the caller)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], seconds: float
    ) -> Response:
        try:
            async with asyncio.timeout(seconds):
                request = self._client.build_request(
                    "POST", url, content=body, headers=dict(headers), timeout=seconds
                )
                resp = await self._client.send(request, stream=True, follow_redirects=False)
                try:
                    prefix = b""
                    async for chunk in resp.aiter_raw():
                        prefix += chunk
                        if len(prefix) >= RESPONSE_PREFIX:
                            break
                finally:
                    await resp.aclose()
                return Response(
                    resp.status_code, prefix[:RESPONSE_PREFIX], resp.headers.get("retry-after")
                )
        except (TimeoutError, httpx.TimeoutException):
            raise SendError(f"timeout: no complete response within {seconds:g} s") from None
        except httpx.ConnectError as exc:
            raise SendError(f"connect failed: {exc}") from None
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
            raise SendError(f"connection reset: {exc}") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise SendError(f"{type(exc).__name__}: {exc}") from None

    async def aclose(self) -> None:
        await self._client.aclose()


def build_sender(kind: str, concurrency: int, policy: AddressPolicy | None = None) -> Sender:
    """The sender named by ``HUB_HTTP_CLIENT``, connecting only where the policy permits."""
    policy = policy or AddressPolicy()
    if kind == "httpx":
        limits = httpx.Limits(max_connections=concurrency)
        return HttpxSender(guarded_client(policy, limits=limits))
    return AiohttpSender(concurrency, policy)
