"""Fetching full resources for thin webhook payloads, only from allowed hosts.

BigCommerce and ShipStation send a pointer (an id, a ``resource_url``) instead of the record.
Fetching it with the vendor's credentials is a hazard: a forged ``resource_url`` would hand those
credentials to whoever it names. So a URL is fetched only when its scheme and host are on the
connector's allowlist, redirects are never followed, and answers are size-capped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from hub.config import Secret
from hub.errors import HubError, MalformedJson
from hub.jsontext import parse_json

MAX_RESPONSE_BYTES = 5 * 1024 * 1024


class FetchError(HubError):
    """A thin payload's resource could not be fetched; the connector falls back to the payload."""

    status = 502
    slug = "fetch-failed"
    title = "Vendor API fetch failed"


@dataclass(frozen=True)
class FetchSettings:
    """Where and how a connector may fetch.

    Attributes:
        base_url: the vendor API root, for connectors that build URLs from ids.
        allowed_hosts: ``host`` or ``host:port`` names a URL must use (the base URL's host is
            always allowed).
        username, password: HTTP Basic credentials, if the API uses them.
        headers: extra request headers (API tokens), kept as secrets.
    """

    base_url: str | None = None
    allowed_hosts: frozenset[str] = frozenset()
    username: Secret | None = None
    password: Secret | None = None
    headers: Mapping[str, Secret] = field(default_factory=dict)
    timeout: float = 5.0

    def hosts(self) -> frozenset[str]:
        if self.base_url is None:
            return self.allowed_hosts
        return self.allowed_hosts | {_host_port(self.base_url)}

    def secrets(self) -> list[Secret]:
        found = [s for s in (self.username, self.password) if s is not None]
        return found + list(self.headers.values())


def _host_port(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def well_formed(url: str) -> bool:
    """An http(s) URL with a host, a valid port, and no user info.

    User info (``https://api.x.com@evil.example/``) is refused outright: it is the classic way
    to make a URL look like it points somewhere it does not.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("https", "http") and "@" not in parts.netloc and bool(parts.hostname)


def host_allowed(url: str, allowed: frozenset[str]) -> bool:
    """True when the URL is well formed and its host (or host:port) is on the allowlist."""
    if not well_formed(url):
        return False
    parts = urlsplit(url)
    return _host_port(url) in allowed or (parts.port is None and parts.hostname in allowed)


class Fetcher:
    """GETs JSON from a vendor API with the connector's credentials."""

    def __init__(self, settings: FetchSettings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self._client = client

    async def get_json(self, url: str) -> Any:
        """Fetch and parse one resource.

        Raises:
            FetchError: not allowed, unreachable, not 2xx, too large or not JSON.
        """
        if not host_allowed(url, self.settings.hosts()):
            raise FetchError(f"refusing to fetch from a host not on the allowlist: {url[:200]}")
        s = self.settings
        auth = None
        if s.username is not None:
            auth = httpx.BasicAuth(s.username.reveal(), s.password.reveal() if s.password else "")
        headers = {"accept": "application/json"} | {k: v.reveal() for k, v in s.headers.items()}
        try:
            async with self._client.stream(
                "GET", url, headers=headers, auth=auth, timeout=s.timeout, follow_redirects=False
            ) as response:
                if response.status_code != 200:
                    raise FetchError(f"GET {url[:200]} answered {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise FetchError(f"GET {url[:200]} answered more than 5 MB")
        except httpx.HTTPError as exc:
            raise FetchError(
                f"GET {url[:200]} failed: {type(exc).__name__}: {str(exc)[:200]}"
            ) from None
        try:
            return parse_json(bytes(body))
        except MalformedJson:
            raise FetchError(f"GET {url[:200]} did not answer JSON") from None
