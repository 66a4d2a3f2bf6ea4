"""Outbound requests go only to public addresses, checked when each connection is made.

Subscription targets and connector fetch URLs are chosen by callers the hub does not fully
trust (a scoped token, a vendor payload). Left alone, they could make the hub reach its own
admin API, the cloud metadata endpoint (169.254.169.254) or the private network. So every
address a host resolves to is checked at connect time (a check at registration alone would
fall to DNS rebinding): loopback, private, link-local, multicast, unspecified and reserved
addresses are refused, IPv4 and IPv6 alike, including IPv4-mapped IPv6 and the decimal or octal
spellings the resolver turns into them. ``HUB_ALLOW_TARGETS`` lists networks allowed anyway
(the test suite's loopback receivers, an on-premise ERP).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from hub.errors import ConfigError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class RefusedAddress(OSError):
    """The host resolves only to addresses the policy refuses."""


@dataclass(frozen=True)
class AddressPolicy:
    allowed: tuple[Network, ...] = ()

    def permits(self, address: IPAddress) -> bool:
        """Public unicast addresses, and whatever the allowlist names."""
        if any(address in network for network in self.allowed):
            return True
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return self.permits(address.ipv4_mapped)
        return address.is_global and not address.is_multicast

    def check(self, host: str, addresses: Iterable[str]) -> list[str]:
        """The permitted addresses among those a host resolved to.

        Raises:
            RefusedAddress: none is permitted.
        """
        found = [a for a in addresses if self.permits(ipaddress.ip_address(a.split("%")[0]))]
        if not found:
            raise RefusedAddress(f"refused: {host[:100]} resolves only to non-public addresses")
        return found


def parse_policy(raw: str) -> AddressPolicy:
    """``HUB_ALLOW_TARGETS``: comma-separated networks or addresses.

    Raises:
        ConfigError: one does not parse.
    """
    networks = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(f"HUB_ALLOW_TARGETS: {part!r} is not a network or address") from None
    return AddressPolicy(tuple(networks))


def literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def resolve(host: str, port: int, policy: AddressPolicy) -> list[str]:
    """Resolve a host and keep the permitted addresses.

    Raises:
        RefusedAddress
        OSError: it does not resolve.
    """
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return policy.check(host, [str(info[4][0]) for info in infos])


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses the policy permits."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await resolve(host, port, self._policy)
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from None
        return await self._inner.connect_tcp(
            addresses[0], port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not a delivery target")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_client(policy: AddressPolicy, **options: Any) -> httpx.AsyncClient:
    """An httpx client whose every connection passes the address policy; no redirects."""
    transport = httpx.AsyncHTTPTransport()
    limits: httpx.Limits | None = options.pop("limits", None)
    # httpx has no public hook for the network backend: the pool is rebuilt with the guard.
    transport._pool = httpcore.AsyncConnectionPool(
        network_backend=GuardedBackend(policy),
        max_connections=limits.max_connections if limits else None,
    )
    return httpx.AsyncClient(transport=transport, follow_redirects=False, **options)


def literal_refused(url_host: str, policy: AddressPolicy) -> bool:
    """True for an IP-literal host the policy refuses (resolvers are skipped for those)."""
    address = literal(url_host)
    return address is not None and not policy.permits(address)
