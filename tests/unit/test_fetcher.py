"""The fetch allowlist (only listed hosts, no user-info tricks, http(s) only), and the
in-request retries of transient vendor API failures, with time injected."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from hub.inbound.fetcher import Fetcher, FetchError, FetchSettings, host_allowed

ALLOWED = frozenset({"ssapi.shipstation.com", "127.0.0.1:8123"})


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://ssapi.shipstation.com/shipments?batchId=1", True),
        ("https://SSAPI.shipstation.com/shipments", True),
        ("https://ssapi.shipstation.com:443/shipments", True),  # the default port, spelled out
        ("https://ssapi.shipstation.com:8443/shipments", False),  # another port must be listed
        ("http://127.0.0.1:8123/x", True),
        ("http://127.0.0.1:8124/x", False),
        ("https://ssapi.shipstation.com.evil.example/x", False),
        ("https://ssapi.shipstation.com@evil.example/x", False),
        ("https://evil.example/?u=https://ssapi.shipstation.com", False),
        ("ftp://ssapi.shipstation.com/x", False),
        ("file:///etc/passwd", False),
        ("https://ssapi.shipstation.com:99999/x", False),
        ("not a url", False),
        ("", False),
    ],
)
def test_host_allowed(url: str, ok: bool) -> None:
    assert host_allowed(url, ALLOWED) is ok


class Time:
    """An injected clock and sleep: waits are recorded and advance the clock, never slept."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


API = "https://api.vendor.test/v2/orders/1"


def fetcher(time: Time, **settings: Any) -> Fetcher:
    hosts = frozenset({"api.vendor.test"})
    return Fetcher(FetchSettings(allowed_hosts=hosts, **settings), httpx.AsyncClient(),
                   sleep=time.sleep, clock=time.clock)  # fmt: skip


@pytest.mark.parametrize(
    ("first", "waited"),
    [
        (httpx.Response(429, headers={"retry-after": "2"}), 2.0),
        (httpx.Response(429, headers={"x-rate-limit-time-reset-ms": "1500"}), 1.5),  # BigCommerce
        (httpx.Response(503, headers={"retry-after": "1"}), 1.0),
    ],
)
async def test_a_throttled_fetch_waits_as_long_as_the_vendor_asks(
    first: httpx.Response, waited: float
) -> None:
    time = Time()
    with respx.mock() as mock:
        route = mock.get(API).mock(side_effect=[first, httpx.Response(200, json={"id": 1})])
        assert await fetcher(time).get_json(API) == {"id": 1}
    assert route.call_count == 2 and time.slept == [waited]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(502),
        httpx.Response(503),
        httpx.Response(504),
        httpx.ReadError("connection reset by peer"),
        httpx.RemoteProtocolError("peer closed connection without sending a response"),
    ],
)
async def test_transient_failures_are_tried_again_with_backoff(failure: Any) -> None:
    time = Time()
    with respx.mock() as mock:
        ok = httpx.Response(200, json={"id": 1})
        route = mock.get(API).mock(side_effect=[failure, failure, ok])
        assert await fetcher(time).get_json(API) == {"id": 1}
    assert route.call_count == 3
    first, second = time.slept  # doubling from 0.25 s, spread by ±20 %
    assert 0.2 <= first <= 0.3 and 0.4 <= second <= 0.6


async def test_tries_are_bounded() -> None:
    time = Time()
    with respx.mock() as mock:
        route = mock.get(API).mock(return_value=httpx.Response(503))
        with pytest.raises(FetchError, match=r"answered 503 \(3 tries\)"):
            await fetcher(time).get_json(API)
    assert route.call_count == 3 and len(time.slept) == 2


async def test_a_wait_past_the_deadline_is_not_taken() -> None:
    # The sender holds its connection open while we fetch: a 30 s Retry-After against a 10 s
    # deadline fails now, so the notification is quarantined rather than the sender timing out.
    time = Time()
    with respx.mock() as mock:
        throttled = httpx.Response(429, headers={"retry-after": "30"})
        route = mock.get(API).mock(return_value=throttled)
        with pytest.raises(FetchError, match=r"answered 429 \(1 try\)"):
            await fetcher(time, deadline=10.0).get_json(API)
    assert route.call_count == 1 and time.slept == []


@pytest.mark.parametrize(
    "failure", [httpx.Response(404), httpx.Response(401), httpx.ConnectError("refused")]
)
async def test_lasting_failures_are_not_tried_again(failure: Any) -> None:
    time = Time()
    with respx.mock() as mock:
        route = mock.get(API).mock(side_effect=[failure, httpx.Response(200, json={})])
        with pytest.raises(FetchError):
            await fetcher(time).get_json(API)
    assert route.call_count == 1 and time.slept == []
