"""The one verdict on a target URL, taken by registration, consent, delivery and fetch alike.

URL parsers disagree. For ``http://0177.0.0.1/`` httpx refuses the host, yarl (aiohttp) keeps
it as a name, and a resolver or an older aiohttp reads it as octal 127.0.0.1; ``127.1``,
``2130706433`` and ``0x7f.1`` are loopback too to some and names to others. A URL that one
parser checks and another connects to is how a server-side request forgery slips through. So
the hub parses a target once, here, refuses what parsers could read in more than one way, and
hands every client the same canonical text.

Refused: anything but http(s); user info (``https://user:pass@host/``: credentials belong in a
subscription's ``headers``, and a URL is shown back by the API); whitespace and control
characters; percent-escapes in the host; an IPv6 zone; a port outside 1..65535; and a host that
the WHATWG URL standard would read as an IPv4 number (its last label is numeric) unless it is a
canonical dotted quad.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}
_NUMERIC_LABEL = re.compile(r"^(0[xX][0-9A-Fa-f]*|[0-9]+)$")
_CANONICAL_OCTET = re.compile(r"^(0|[1-9][0-9]{0,2})$")
_NAME_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


class BadURL(ValueError):
    """A URL the hub will not connect to; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class TargetURL:
    """A checked http(s) URL.

    Attributes:
        text: the canonical form (ASCII, percent-encoded), what every client is given.
        host: lower-case, IDNA-encoded, or the IP literal without brackets.
        port: explicit, or the scheme's default.
        address: the host as an address, when it is an IP literal.
    """

    text: str
    scheme: str
    host: str
    port: int
    address: IPAddress | None

    @property
    def host_port(self) -> str:
        """``host:port``, as allowlists name hosts (IPv6 in brackets)."""
        host = f"[{self.host}]" if isinstance(self.address, ipaddress.IPv6Address) else self.host
        return f"{host}:{self.port}"


def parse_url(raw: object) -> TargetURL:
    """Check a target URL and return its canonical form.

    Raises:
        BadURL: naming what is wrong with it.
    """
    if not isinstance(raw, str) or not raw:
        raise BadURL("an absolute http(s) URL")
    if len(raw) > MAX_LENGTH:
        raise BadURL(f"at most {MAX_LENGTH} characters")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise BadURL("no spaces or control characters (percent-encode them)")
    try:
        parts = urlsplit(raw)
    except ValueError:  # a bracketed host that is no address, among others
        raise BadURL("not a URL the hub can use") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.netloc:
        raise BadURL("an absolute http(s) URL")
    if "@" in parts.netloc:
        raise BadURL("no user info in the URL; send credentials as headers")
    port = _port(parts, scheme)
    address = _literal(parts.netloc, parts.hostname or "")
    try:
        canonical = httpx.URL(raw)
    except httpx.InvalidURL as exc:
        raise BadURL(f"not a URL the hub can use ({exc})") from None
    # Every client is given the canonical text, so httpx's reading of the host is the one.
    theirs = canonical.raw_host.decode("ascii", "replace").lower()
    if address is None:
        return TargetURL(str(canonical), scheme, _name(theirs), port, None)
    if _address_of(theirs) != address:
        raise BadURL("the host reads differently to different URL parsers")
    return TargetURL(str(canonical), scheme, str(address), port, address)


def url_problem(raw: object) -> str | None:
    """Why a URL is refused, or None when it is fine."""
    try:
        parse_url(raw)
    except BadURL as exc:
        return str(exc)
    return None


def _port(parts: SplitResult, scheme: str) -> int:
    try:
        explicit = parts.port
    except ValueError:  # not a number, or beyond 65535
        raise BadURL("the port must be a number in 1..65535") from None
    if explicit == 0:
        raise BadURL("the port must be a number in 1..65535")
    return DEFAULT_PORTS[scheme] if explicit is None else explicit


def _literal(netloc: str, hostname: str) -> IPAddress | None:
    """The host as an address if it is an IP literal; refuses ambiguous numeric spellings."""
    if netloc.rpartition("@")[2].startswith("["):
        return _ipv6(hostname)
    if not hostname:
        raise BadURL("the URL names no host")
    if "%" in hostname:
        raise BadURL("no percent-escapes in the host")
    if hostname.endswith("."):
        raise BadURL(f"{hostname[:100]!r} ends in a dot; write the host without it")
    labels = hostname.split(".")
    return _dotted_quad(hostname, labels) if _NUMERIC_LABEL.match(labels[-1]) else None


def _name(host: str) -> str:
    if len(host) > 253 or not all(_NAME_LABEL.match(label) for label in host.split(".")):
        raise BadURL(f"{host[:100]!r} is not a valid host name")
    return host


def _address_of(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _dotted_quad(hostname: str, labels: list[str]) -> ipaddress.IPv4Address:
    """A numeric host: only the canonical a.b.c.d spelling is taken."""
    octets = [label for label in labels if _CANONICAL_OCTET.match(label) and int(label) <= 255]
    if len(labels) != 4 or len(octets) != 4:
        raise BadURL(
            f"{hostname[:100]!r} is an IPv4 address in a non-canonical spelling; "
            "write it as four decimal numbers (a.b.c.d)"
        )
    return ipaddress.IPv4Address(hostname)


def _ipv6(hostname: str) -> ipaddress.IPv6Address:
    if "%" in hostname:
        raise BadURL("no IPv6 zone in a target URL")
    try:
        return ipaddress.IPv6Address(hostname)
    except ValueError:
        raise BadURL(f"[{hostname[:100]}] is not an IPv6 address") from None
