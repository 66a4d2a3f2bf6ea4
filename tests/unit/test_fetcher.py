"""The fetch allowlist: only listed hosts, no user-info tricks, http(s) only."""

from __future__ import annotations

import pytest

from hub.inbound.fetcher import host_allowed

ALLOWED = frozenset({"ssapi.shipstation.com", "127.0.0.1:8123"})


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://ssapi.shipstation.com/shipments?batchId=1", True),
        ("https://SSAPI.shipstation.com/shipments", True),
        ("https://ssapi.shipstation.com:443/shipments", False),  # a port must be listed
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
