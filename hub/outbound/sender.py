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

import aiohttp
import httpx
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from hub.masking import masked_headers
from hub.outbound.ssrf import AddressPolicy, guarded_client
from hub.urls import BadURL, parse_url

RESPONSE_PREFIX = 2048
VERDICTS_KEPT = 4096  # URL verdicts remembered per target URL (the policy is fixed)
NOT_PUBLIC = "refused: the target is not a public address (HUB_ALLOW_TARGETS)"


@dataclass(frozen=True)
class Response:
    """What an attempt got back."""

    status: int
    body: bytes
    retry_after: str | None = None
    headers: dict[str, str] | None = None  # a failed answer's, masked; None for a 2xx


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
        permitted = set(self._policy.check(host, [r["host"] for r in found], port))
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
        self._verdicts: dict[str, yarl.URL | str] = {}

    def _client(self) -> aiohttp.ClientSession:
        # Created lazily: an aiohttp session must be made inside the running loop.
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._concurrency, ttl_dns_cache=60, resolver=GuardedResolver(self._policy)
            )
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        return self._session

    def _target(self, url: str) -> yarl.URL:
        """The URL as `hub.urls` reads it, refused if its IP literal is not permitted (aiohttp
        skips the resolver for literals). Kept per URL: parsing cost 12 µs of every delivery.

        Raises:
            SendError
        """
        verdict = self._verdicts.get(url)
        if verdict is None:
            if len(self._verdicts) >= VERDICTS_KEPT:
                self._verdicts.clear()
            verdict = self._verdicts[url] = _verdict(url, self._policy)
        if isinstance(verdict, str):
            raise SendError(verdict)
        return verdict

    def _timeout(self, seconds: float) -> aiohttp.ClientTimeout:
        found = self._timeouts.get(seconds)
        if found is None:
            found = self._timeouts[seconds] = aiohttp.ClientTimeout(total=seconds)
        return found

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], seconds: float
    ) -> Response:
        target = self._target(url)
        try:
            async with self._client().post(
                target,
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
                kept = None if 200 <= resp.status < 300 else masked_headers(resp.headers.items())
                return Response(resp.status, prefix, resp.headers.get("retry-after"), kept)
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
            target = parse_url(url).text
        except BadURL as exc:
            raise SendError(f"refused: {exc}") from None
        try:
            async with asyncio.timeout(seconds):
                request = self._client.build_request(
                    "POST", target, content=body, headers=dict(headers), timeout=seconds
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
                failed = not 200 <= resp.status_code < 300
                return Response(
                    resp.status_code, prefix[:RESPONSE_PREFIX], resp.headers.get("retry-after"),
                    masked_headers(resp.headers.items()) if failed else None,
                )  # fmt: skip
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


def _verdict(url: str, policy: AddressPolicy) -> yarl.URL | str:
    """What to connect to, or why not: the canonical URL, handed to yarl as already encoded so
    that aiohttp cannot read it differently."""
    try:
        target = parse_url(url)
    except BadURL as exc:
        return f"refused: {exc}"
    if target.address is not None and not policy.permits(target.address, target.port):
        return NOT_PUBLIC
    return yarl.URL(target.text, encoded=True)


def build_sender(kind: str, concurrency: int, policy: AddressPolicy | None = None) -> Sender:
    """The sender named by ``HUB_HTTP_CLIENT``, connecting only where the policy permits."""
    policy = policy or AddressPolicy()
    if kind == "httpx":
        limits = httpx.Limits(max_connections=concurrency)
        return HttpxSender(guarded_client(policy, limits=limits))
    return AiohttpSender(concurrency, policy)
