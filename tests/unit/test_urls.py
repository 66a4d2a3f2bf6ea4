"""One verdict on a target URL: what is refused, why, and the canonical text every client gets."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.urls import BadURL, parse_url, url_problem


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://0177.0.0.1:9000/hook", "non-canonical spelling"),  # octal
        ("http://127.1/", "non-canonical spelling"),  # short form
        ("http://2130706433/", "non-canonical spelling"),  # one decimal number
        ("http://0x7f.1/", "non-canonical spelling"),  # hex
        ("http://0x7f000001/", "non-canonical spelling"),
        ("http://127.0.0.01/", "non-canonical spelling"),  # a leading zero
        ("http://256.0.0.1/", "non-canonical spelling"),
        ("http://1.2.3.4./", "ends in a dot"),
        ("http://example.com./", "ends in a dot"),
        ("http://x.123/", "non-canonical spelling"),  # WHATWG reads it as IPv4
        ("http://%31%32%37.0.0.1/", "percent-escapes"),
        ("http://[fe80::1%25eth0]/", "zone"),
        ("http://[zz::1]/", "not a URL"),
        ("https://user:pass@example.com/", "user info"),
        ("https://example.com@evil.example/", "user info"),
        ("http://example.com:99999/", "port"),
        ("http://example.com:0/", "port"),
        ("http://example.com:abc/", "port"),
        ("http://exa mple.com/", "control characters"),
        ("http://example.com/\r\nX: y", "control characters"),
        ("ftp://example.com/", "http(s)"),
        ("file:///etc/passwd", "http(s)"),
        ("/relative", "http(s)"),
        ("", "http(s)"),
        ("http://-x.example/", "not a valid host name"),
        ("http://a..b/", "not a valid host name"),
        ("http://" + "a" * 64 + ".example/", "not a valid host name"),
        ("https://example.com/" + "x" * 2100, "at most 2048"),
    ],
)
def test_refused(url: str, reason: str) -> None:
    with pytest.raises(BadURL, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_url(url)
    assert url_problem(url) is not None


@pytest.mark.parametrize(
    ("url", "text", "host_port"),
    [
        ("https://erp.example.com/hooks", "https://erp.example.com/hooks", "erp.example.com:443"),
        ("HTTP://Example.COM:8080/p?q=1", "http://example.com:8080/p?q=1", "example.com:8080"),
        ("http://127.0.0.1:9000/x", "http://127.0.0.1:9000/x", "127.0.0.1:9000"),
        ("http://[::1]:9000/x", "http://[::1]:9000/x", "[::1]:9000"),
        ("https://münchen.de/a%20b", "https://xn--mnchen-3ya.de/a%20b", "xn--mnchen-3ya.de:443"),
        ("https://123.example/", "https://123.example/", "123.example:443"),
        ("https://prod-12.westus.logic.azure.com:443/workflows/x?sig=y",  # the default port
         "https://prod-12.westus.logic.azure.com/workflows/x?sig=y",
         "prod-12.westus.logic.azure.com:443"),
    ],
)  # fmt: skip
def test_accepted_in_canonical_form(url: str, text: str, host_port: str) -> None:
    target = parse_url(url)
    assert (target.text, target.host_port) == (text, host_port)


def test_an_ip_literal_carries_its_address() -> None:
    assert str(parse_url("http://[64:ff9b::7f00:1]/").address) == "64:ff9b::7f00:1"
    assert parse_url("https://example.com/").address is None


@settings(max_examples=3000, deadline=None, database=None)
@given(
    st.one_of(
        st.text(max_size=60),
        st.builds("http://{}:{}/{}".format, st.text(max_size=20), st.text(max_size=6),
                  st.text(max_size=10)),
        st.builds("https://[{}]/".format, st.text(alphabet="0123456789abcdef:%.[]", max_size=40)),
    )
)  # fmt: skip
def test_nothing_but_a_verdict_comes_out(raw: str) -> None:
    with contextlib.suppress(BadURL):
        parse_url(raw)
