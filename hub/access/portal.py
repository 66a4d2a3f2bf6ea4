"""Portal links: single-use sign-in links that an admin makes for a partner, with a lifetime
and capabilities. Only the link's SHA-256 is kept; the link itself is shown once.

A link is opened once (a second opening is refused), and the console session it starts lasts
no longer than the link's lifetime. Revoking the link or its partner ends that session at its
next page, since every page resolves the session's link again.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, replace
from enum import StrEnum

from hub.ids import new_id

PREFIX = "hubp_"
DEFAULT_LIFETIME = 3600.0


class Capability(StrEnum):
    """What a partner's caller may do beyond reading (tokens have every one)."""

    VIEW = "view"  # read its subscriptions, deliveries, events and objects
    MANAGE = "manage"  # create, change and delete its subscriptions; move objects by hand
    REPLAY = "replay"  # replay and retry its deliveries, one or in bulk
    ROTATE = "rotate"  # rotate its subscriptions' signing secrets


ALL = frozenset(Capability)


def parse_capabilities(raw: object) -> frozenset[Capability] | None:
    """A list of capability names (``view`` is always included), or None if it is not one."""
    if raw is None:
        return frozenset({Capability.VIEW})
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        return None
    try:
        return frozenset({Capability.VIEW, *(Capability(c) for c in raw)})
    except ValueError:
        return None


def credential_hash(value: str) -> str:
    """How tokens and links are kept: only their SHA-256 is stored or compared."""
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class PortalLink:
    """A link's record: never the link itself."""

    id: str
    partner: str
    hash: str
    capabilities: frozenset[Capability]
    created_at: float
    expires_at: float
    used_at: float | None = None
    revoked: bool = False

    def opens(self, now: float) -> bool:
        """It may still be opened: unused, unrevoked, unexpired."""
        return self.used_at is None and not self.revoked and now < self.expires_at

    def session_alive(self, now: float) -> bool:
        """A session it started still stands."""
        return self.used_at is not None and not self.revoked and now < self.expires_at

    def used(self, now: float) -> PortalLink:
        return replace(self, used_at=now)

    def state(self, now: float) -> str:
        if self.revoked:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "used" if self.used_at is not None else "unused"


def new_link(
    partner: str, capabilities: frozenset[Capability], lifetime: float, now: float
) -> tuple[PortalLink, str]:
    """A link record and the secret part of its URL (shown once)."""
    value = PREFIX + secrets.token_urlsafe(32)
    link = PortalLink(
        new_id("lnk"), partner, credential_hash(value), capabilities, now, now + lifetime
    )
    return link, value


def to_document(link: PortalLink) -> str:
    return json.dumps({
        "id": link.id, "partner": link.partner, "hash": link.hash,
        "capabilities": sorted(link.capabilities), "created_at": link.created_at,
        "expires_at": link.expires_at, "used_at": link.used_at, "revoked": link.revoked,
    })  # fmt: skip


def from_document(doc: str) -> PortalLink:
    raw = json.loads(doc)
    return PortalLink(
        raw["id"], raw["partner"], raw["hash"],
        frozenset(Capability(c) for c in raw["capabilities"]), raw["created_at"],
        raw["expires_at"], raw.get("used_at"), bool(raw.get("revoked")),
    )  # fmt: skip


class PortalLinks:
    """The links by id, mirrored from the store (one hub process owns it)."""

    def __init__(self, links: list[PortalLink]) -> None:
        self._by_id = {link.id: link for link in links}

    def get(self, link_id: str) -> PortalLink | None:
        return self._by_id.get(link_id)

    def find(self, value: str) -> PortalLink | None:
        digest = credential_hash(value)
        return next((link for link in self._by_id.values() if link.hash == digest), None)

    def of_partner(self, partner: str) -> list[PortalLink]:
        return sorted((k for k in self._by_id.values() if k.partner == partner),
                      key=lambda k: k.id)  # fmt: skip

    def put(self, link: PortalLink) -> None:
        self._by_id[link.id] = link
