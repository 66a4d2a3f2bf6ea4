"""Outbound requests go only to public addresses, checked when each connection is made.

Subscription targets and connector fetch URLs are chosen by callers the hub does not fully
trust (a scoped token, a vendor payload). Left alone, they could make the hub reach its own
admin API, the cloud metadata endpoint (169.254.169.254) or the private network. So every
address a host resolves to is checked at connect time (a check at registration alone would
fall to DNS rebinding): loopback, private, link-local, multicast, unspecified and reserved
addresses are refused, IPv4 and IPv6 alike. An IPv6 address that carries an IPv4 address
(IPv4-mapped, -compatible and -translated, NAT64, 6to4, Teredo) is judged by the IPv4 address it
really reaches: Python's ``is_global`` calls ``64:ff9b::7f00:1``, NAT64 for 127.0.0.1, global.
Numeric spellings of IPv4 (``127.1``, ``0177.0.0.1``) never get this far: `hub.urls` refuses
them. ``HUB_ALLOW_TARGETS`` lists networks, or single ``address:port`` targets, allowed anyway
(the test suite's loopback receivers, `make run`'s demo receiver, an on-premise ERP).
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

NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
TEREDO = ipaddress.IPv6Network("2001::/32")
TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
COMPATIBLE = ipaddress.IPv6Network("::/96")


class RefusedAddress(OSError):
    """The host resolves only to addresses the policy refuses."""


def _v4(bits: int) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(bits & 0xFFFFFFFF)


def _local_nat64(value: int) -> list[ipaddress.IPv4Address]:
    """RFC 6052 readings of an address in the local-use prefix, one per prefix length it may
    use (/48, /56, /64, /96); bits 64..71 (the u octet) never carry the IPv4 address."""
    return [
        _v4(((value >> 64) & 0xFFFF) << 16 | (value >> 40) & 0xFFFF),  # /48
        _v4(((value >> 64) & 0xFF) << 24 | (value >> 32) & 0xFFFFFF),  # /56
        _v4(value >> 24),  # /64
        _v4(value),  # /96
    ]


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to, if it carries any.

    A local-use NAT64 address (``64:ff9b:1::/48``) may embed at several prefix lengths; every
    reading is returned, and the policy permits it only if it permits them all.
    """
    if isinstance(address, ipaddress.IPv4Address):
        return []
    value = int(address)
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address in TRANSLATED or address in NAT64 or address in COMPATIBLE:
        return [_v4(value)]
    if address in NAT64_LOCAL:
        return _local_nat64(value)
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)  # the Teredo server, and the client de-obfuscated
    return []


@dataclass(frozen=True)
class Allowance:
    """A network, or one address and port, that the hub may reach although not public."""

    network: Network
    port: int | None = None

    def covers(self, address: IPAddress, port: int | None) -> bool:
        return address in self.network and (self.port is None or self.port == port)


@dataclass(frozen=True)
class AddressPolicy:
    allowed: tuple[Allowance, ...] = ()

    def permits(self, address: IPAddress, port: int | None = None) -> bool:
        """Public unicast addresses, and whatever the allowlist names.

        An address that carries an IPv4 address is judged by that address.
        """
        if any(allowance.covers(address, port) for allowance in self.allowed):
            return True
        inner = embedded_ipv4(address)
        if inner:
            return all(self.permits(v4, port) for v4 in inner)
        return address.is_global and not address.is_multicast

    def check(self, host: str, addresses: Iterable[str], port: int | None = None) -> list[str]:
        """The permitted addresses among those a host resolved to.

        Raises:
            RefusedAddress: none is permitted.
        """
        found = [a for a in addresses if self.permits(ipaddress.ip_address(a.split("%")[0]), port)]
        if not found:
            raise RefusedAddress(f"refused: {host[:100]} resolves only to non-public addresses")
        return found


def parse_address_policy(raw: str) -> AddressPolicy:
    """``HUB_ALLOW_TARGETS``: comma-separated networks (``10.0.0.0/8``), addresses, or single
    targets (``127.0.0.1:9000``, ``[::1]:9000``).

    Raises:
        ConfigError: one does not parse.
    """
    return AddressPolicy(tuple(_allowance(p.strip()) for p in raw.split(",") if p.strip()))


def _allowance(part: str) -> Allowance:
    network, port = part, None
    if part.startswith("["):
        network, _, rest = part[1:].partition("]")
        port = _allowed_port(part, rest.removeprefix(":")) if rest else None
    elif part.count(":") == 1:
        network, _, raw_port = part.partition(":")
        port = _allowed_port(part, raw_port)
    try:
        return Allowance(ipaddress.ip_network(network, strict=False), port)
    except ValueError:
        raise ConfigError(
            f"HUB_ALLOW_TARGETS: {part!r} is not a network, an address or address:port"
        ) from None


def _allowed_port(part: str, raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ConfigError(f"HUB_ALLOW_TARGETS: {part!r} has no valid port")
    return int(raw)


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
    return policy.check(host, [str(info[4][0]) for info in infos], port)


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
