"""The SSRF address policy, as a table of spellings, and its enforcement at connect time."""

from __future__ import annotations

import ipaddress

import pytest

from hub.errors import ConfigError
from hub.outbound.ssrf import AddressPolicy, RefusedAddress, parse_policy

DEFAULT = AddressPolicy()


@pytest.mark.parametrize(
    ("address", "permitted"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("127.255.255.254", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("169.254.169.254", False),  # cloud metadata
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("fd00:ec2::254", False),  # AWS metadata over IPv6
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::ffff:169.254.169.254", False),
        ("::ffff:93.184.216.34", True),
    ],
)
def test_default_policy(address: str, permitted: bool) -> None:
    assert DEFAULT.permits(ipaddress.ip_address(address)) is permitted


def test_an_allowlist_is_the_only_way_around_it() -> None:
    policy = parse_policy("127.0.0.1/32, 10.0.0.0/8")
    assert policy.permits(ipaddress.ip_address("127.0.0.1"))
    assert policy.permits(ipaddress.ip_address("10.9.9.9"))
    assert not policy.permits(ipaddress.ip_address("127.0.0.2"))
    assert not policy.permits(ipaddress.ip_address("192.168.0.1"))
    with pytest.raises(ConfigError, match="not a network"):
        parse_policy("localhost")


def test_check_keeps_only_permitted_addresses() -> None:
    assert DEFAULT.check("mixed.test", ["10.0.0.1", "93.184.216.34"]) == ["93.184.216.34"]
    with pytest.raises(RefusedAddress, match="non-public"):
        DEFAULT.check("rebound.test", ["127.0.0.1", "::1"])


async def test_the_sender_refuses_a_literal_target_every_time_not_only_the_first() -> None:
    # The verdict per URL is remembered; a remembered refusal must still refuse.
    from hub.outbound.sender import AiohttpSender, SendError

    sender = AiohttpSender(policy=DEFAULT)
    try:
        for _ in range(3):
            with pytest.raises(SendError, match="not a public address"):
                await sender.post("http://127.0.0.1:9/hook", b"{}", {}, 1.0)
            with pytest.raises(SendError, match="not a public address"):
                await sender.post("http://[::ffff:10.0.0.1]/hook", b"{}", {}, 1.0)
    finally:
        await sender.aclose()
