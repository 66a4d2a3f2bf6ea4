"""The SSRF address policy, as a table of spellings, and its enforcement at connect time."""

from __future__ import annotations

import ipaddress

import pytest

from hub.errors import ConfigError
from hub.outbound.ssrf import AddressPolicy, RefusedAddress, embedded_ipv4, parse_address_policy

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
        # IPv6 that carries IPv4 is judged by the IPv4 it reaches
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1, which is_global calls global
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of the metadata endpoint
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("64:ff9b:1:7f00:0:100::", False),  # local-use NAT64 /48 of 127.0.0.1
        ("64:ff9b:1::7f00:1", False),  # local-use NAT64 /96 of 127.0.0.1
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        ("2002:808:808::1", True),  # 6to4 of 8.8.8.8
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::10.0.0.1", False),
        ("::ffff:0:127.0.0.1", False),  # IPv4-translated
        ("::ffff:0:169.254.169.254", False),
        ("2001:0:5db8:5db8:0:0:80ff:fffe", False),  # Teredo: the client is 127.0.0.1
        ("2001:0:7f00:1:0:0:f7f7:f7f7", False),  # Teredo: the server is 127.0.0.1
        ("2001:0:808:808:0:0:f7f7:f7f7", True),  # Teredo: server and client public
    ],
)
def test_default_policy(address: str, permitted: bool) -> None:
    assert DEFAULT.permits(ipaddress.ip_address(address)) is permitted


def test_an_embedded_address_is_found_in_each_form() -> None:
    def found(text: str) -> list[str]:
        return [str(a) for a in embedded_ipv4(ipaddress.ip_address(text))]

    assert found("64:ff9b::7f00:1") == ["127.0.0.1"]
    assert found("2002:7f00:1::") == ["127.0.0.1"]
    assert found("::ffff:0:7f00:1") == ["127.0.0.1"]
    assert found("2001:0:5db8:5db8:0:0:80ff:fffe") == ["93.184.93.184", "127.0.0.1"]
    assert found("64:ff9b:1:7f00:0:100::")[0] == "127.0.0.1"  # the /48 reading first
    assert found("2606:2800:220:1:248:1893:25c8:1946") == []
    assert found("8.8.8.8") == []


def test_a_single_target_can_be_allowed_by_address_and_port() -> None:
    policy = parse_address_policy("127.0.0.1:9000, [::1]:9000")
    loopback, v6 = ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")
    assert policy.permits(loopback, 9000) and policy.permits(v6, 9000)
    assert not policy.permits(loopback, 9001)  # the demo receiver's port, not the host's
    assert not policy.permits(v6, 8000)
    assert not policy.permits(loopback)  # a port-less check permits only what is public
    # NAT64 of an allowed address is judged by that address, port included
    assert policy.permits(ipaddress.ip_address("64:ff9b::7f00:1"), 9000)


@pytest.mark.parametrize(
    "raw", ["localhost", "127.0.0.1:", "127.0.0.1:99999", "[::1]:x", "10.0.0.0/33", "a:b:c"]
)
def test_an_allowlist_entry_that_does_not_parse_stops_start_up(raw: str) -> None:
    with pytest.raises(ConfigError, match="HUB_ALLOW_TARGETS"):
        parse_address_policy(raw)


def test_an_allowlist_is_the_only_way_around_it() -> None:
    policy = parse_address_policy("127.0.0.1/32, 10.0.0.0/8")
    assert policy.permits(ipaddress.ip_address("127.0.0.1"))
    assert policy.permits(ipaddress.ip_address("10.9.9.9"))
    assert not policy.permits(ipaddress.ip_address("127.0.0.2"))
    assert not policy.permits(ipaddress.ip_address("192.168.0.1"))
    with pytest.raises(ConfigError, match="not a network"):
        parse_address_policy("localhost")


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
