"""Fetching full resources for thin webhook payloads, only from allowed hosts, with retries.

BigCommerce and ShipStation send a pointer (an id, a ``resource_url``) instead of the record.
Fetching it with the vendor's credentials is a hazard: a forged ``resource_url`` would hand those
credentials to whoever it names. So a URL is fetched only when `hub.urls` accepts it and its
host is on the connector's allowlist, redirects are never followed, and answers are size-capped.

Vendor APIs throttle and stumble: a fetch that gets 429 (honouring ``Retry-After`` and
BigCommerce's ``X-Rate-Limit-Time-Reset-Ms``), 502, 503, 504 or a reset connection is tried
again, inside the inbound request, a bounded number of times within a total deadline. The
sender is waiting for its answer meanwhile, so a wait that would pass the deadline is not
taken: the fetch fails at once, and the caller quarantines or stores the thin event.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from hub.config import Secret
from hub.errors import HubError, MalformedJson
from hub.jsontext import parse_json
from hub.outbound.retry import parse_retry_after
from hub.urls import BadURL, TargetURL, parse_url

MAX_RESPONSE_BYTES = 5 * 1024 * 1024
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
# Resets: the connection broke after it was made. A refused connection is not retried: the
# address policy refuses with a ConnectError, and so does a host that is down.
RESETS = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)
BACKOFF = (0.25, 2.0)  # first wait and cap, doubling, for failures that name no wait


class FetchError(HubError):
    """A thin payload's resource could not be fetched; the connector falls back to the payload."""

    status = 502
    slug = "fetch-failed"
    title = "Vendor API fetch failed"


class TransientFetch(FetchError):
    """A failure worth another try; `wait` is what the vendor asked for, if it said."""

    def __init__(self, detail: str, wait: float | None = None) -> None:
        super().__init__(detail)
        self.wait = wait


@dataclass(frozen=True)
class FetchSettings:
    """Where and how a connector may fetch.

    Attributes:
        base_url: the vendor API root, for connectors that build URLs from ids.
        allowed_hosts: ``host`` or ``host:port`` names a URL must use (the base URL's host is
            always allowed); a bare host allows the scheme's default port.
        username, password: HTTP Basic credentials, if the API uses them.
        headers: extra request headers (API tokens), kept as secrets.
        timeout: seconds per try.
        attempts: tries at most, for transient failures.
        deadline: seconds all tries of one fetch may take, waits included.
    """

    base_url: str | None = None
    allowed_hosts: frozenset[str] = frozenset()
    username: Secret | None = None
    password: Secret | None = None
    headers: Mapping[str, Secret] = field(default_factory=dict)
    timeout: float = 5.0
    attempts: int = 3
    deadline: float = 10.0

    def hosts(self) -> frozenset[str]:
        if self.base_url is None:
            return self.allowed_hosts
        return self.allowed_hosts | {parse_url(self.base_url).host_port}

    def secrets(self) -> list[Secret]:
        found = [s for s in (self.username, self.password) if s is not None]
        return found + list(self.headers.values())


def allowed_target(url: str, allowed: frozenset[str]) -> TargetURL:
    """The URL, if `hub.urls` accepts it and its host (or host:port) is on the allowlist.

    Raises:
        FetchError: naming why not.
    """
    try:
        target = parse_url(url)
    except BadURL as exc:
        raise FetchError(f"refusing to fetch {url[:200]!r}: {exc}") from None
    default = target.port == {"http": 80, "https": 443}[target.scheme]
    if target.host_port not in allowed and not (default and target.host in allowed):
        raise FetchError(f"refusing to fetch from a host not on the allowlist: {url[:200]}")
    return target


def host_allowed(url: str, allowed: frozenset[str]) -> bool:
    """True when the URL may be fetched (`allowed_target` as a predicate)."""
    try:
        allowed_target(url, allowed)
    except FetchError:
        return False
    return True


def vendor_wait(response: httpx.Response, now: float) -> float | None:
    """Seconds the vendor asked us to wait: ``Retry-After``, or BigCommerce's reset time."""
    reset_ms = response.headers.get("x-rate-limit-time-reset-ms", "")
    if reset_ms.isdigit():
        return int(reset_ms) / 1000
    return parse_retry_after(response.headers.get("retry-after"), now)


def backoff(tries: int, spread: float) -> float:
    """The wait after `tries` failed tries that named no wait: doubling, capped, jittered."""
    first, cap = BACKOFF
    return float(min(cap, first * 2 ** (tries - 1)) * (1 + 0.2 * spread))


class Fetcher:
    """GETs JSON from a vendor API with the connector's credentials.

    Args:
        sleep, clock: seams for tests, so that backoff is never slept through for real.
    """

    def __init__(
        self,
        settings: FetchSettings,
        client: httpx.AsyncClient,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._client = client
        self._sleep = sleep
        self._clock = clock

    async def get_json(self, url: str) -> Any:
        """Fetch and parse one resource, trying again on transient failures.

        Raises:
            FetchError: not allowed, unreachable, not 2xx, too large or not JSON.
        """
        target = allowed_target(url, self.settings.hosts())
        deadline = self._clock() + self.settings.deadline
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TransientFetch),
            wait=self._wait,
            stop=lambda state: self._stop(state, deadline),
            sleep=self._sleep,
            reraise=True,
        )
        body = b""
        try:
            async for attempt in retrying:
                with attempt:
                    body = await self._get(target)
        except TransientFetch as exc:
            tries = retrying.statistics.get("attempt_number", 1)
            raise FetchError(f"{exc.detail} ({tries} {'try' if tries == 1 else 'tries'})") from None
        try:
            return parse_json(body)
        except MalformedJson:
            raise FetchError(f"GET {url[:200]} did not answer JSON") from None

    def _wait(self, state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        asked = failure.wait if isinstance(failure, TransientFetch) else None
        return asked if asked is not None else backoff(state.attempt_number, random.uniform(-1, 1))

    def _stop(self, state: RetryCallState, deadline: float) -> bool:
        late = self._clock() + (state.upcoming_sleep or 0.0) > deadline
        return state.attempt_number >= self.settings.attempts or late

    async def _get(self, target: TargetURL) -> bytes:
        s = self.settings
        auth = None
        if s.username is not None:
            auth = httpx.BasicAuth(s.username.reveal(), s.password.reveal() if s.password else "")
        headers = {"accept": "application/json"} | {k: v.reveal() for k, v in s.headers.items()}
        shown = target.text[:200]
        try:
            async with self._client.stream(
                "GET", target.text, headers=headers, auth=auth, timeout=s.timeout,
                follow_redirects=False,
            ) as response:  # fmt: skip
                if response.status_code in TRANSIENT_STATUSES:
                    wait = vendor_wait(response, time.time())
                    raise TransientFetch(f"GET {shown} answered {response.status_code}", wait)
                if response.status_code != 200:
                    raise FetchError(f"GET {shown} answered {response.status_code}")
                return await _capped(response, shown)
        except RESETS as exc:
            raise TransientFetch(f"GET {shown} failed: {type(exc).__name__}: {exc}") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise FetchError(
                f"GET {shown} failed: {type(exc).__name__}: {str(exc)[:200]}"
            ) from None


async def _capped(response: httpx.Response, shown: str) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            raise FetchError(f"GET {shown} answered more than 5 MB")
    return bytes(body)
