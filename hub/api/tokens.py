"""Scoped API tokens: made by an admin for one flow or partner, kept only as SHA-256 hashes.

A token under a partner reaches what the partner's allowance admits (`hub.access.view`) and the
partner's own subscriptions; a token of no partner (made before partners existed) reaches only
the subscriptions it made and their deliveries. A token may expire. The token itself is shown
once, at creation.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from hub.access.portal import ALL, Capability, credential_hash
from hub.ids import new_id

PREFIX = "hubt_"


token_hash = credential_hash


@dataclass(frozen=True)
class Token:
    id: str
    name: str
    hash: str
    created_at: float
    partner: str | None = None
    expires_at: float | None = None

    def valid(self, now: float) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class Principal:
    """Who is calling the API.

    Attributes:
        token_id: the scoped token, or None for the admin and for a portal session.
        name: the token's name, the portal link's partner, or ``admin``.
        partner: the partner the caller acts for, if any.
        link_id: the portal link a console session was opened with.
        capabilities: what it may do (a token may do all; a link what it was given).
    """

    token_id: str | None = None
    name: str = "admin"
    partner: str | None = None
    link_id: str | None = None
    capabilities: frozenset[Capability] = field(default=ALL)

    @property
    def admin(self) -> bool:
        return self.token_id is None and self.link_id is None

    @property
    def actor(self) -> str:
        """Who the audit trail names: ``admin``, a token's id or a portal link's id."""
        return self.token_id or self.link_id or "admin"

    def owns(self, owner: str | None, partner: str | None = None) -> bool:
        """Admins own everything; a partner's caller owns the partner's subscriptions; a token
        of no partner owns what it created."""
        if self.admin:
            return True
        if self.partner is not None:
            return partner == self.partner
        return owner is not None and owner == self.token_id and partner is None


ADMIN = Principal()

# The scope key under which the console passes its signed-in principal to its in-process
# calls of /api: ASGI servers build scopes from the wire, so no request can carry it.
CONSOLE_PRINCIPAL = "hub.console_principal"


def new_token(
    name: str, now: float, partner: str | None = None, expires_at: float | None = None
) -> tuple[Token, str]:
    """A token record and the token itself (shown once)."""
    value = PREFIX + secrets.token_urlsafe(32)
    return Token(new_id("tok"), name, token_hash(value), now, partner, expires_at), value


def to_document(token: Token) -> str:
    doc: dict[str, Any] = {"id": token.id, "name": token.name, "hash": token.hash,
                           "created_at": token.created_at}  # fmt: skip
    if token.partner is not None:
        doc["partner"] = token.partner
    if token.expires_at is not None:
        doc["expires_at"] = token.expires_at
    return json.dumps(doc)


def from_document(doc: str) -> Token:
    """A stored token; one stored before partners had none and keeps its old scope."""
    raw = json.loads(doc)
    return Token(raw["id"], raw["name"], raw["hash"], raw["created_at"], raw.get("partner"),
                 raw.get("expires_at"))  # fmt: skip


class TokenRegistry:
    """Tokens by hash, mirrored from the store (one hub process owns it)."""

    def __init__(self, tokens: list[Token]) -> None:
        self._by_hash = {t.hash: t for t in tokens}

    def find(self, presented_hash: str) -> Token | None:
        # A dict lookup by the hash of a 256-bit random value: nothing to learn from timing.
        return self._by_hash.get(presented_hash)

    def get(self, token_id: str) -> Token | None:
        return next((t for t in self._by_hash.values() if t.id == token_id), None)

    def all(self) -> list[Token]:
        return sorted(self._by_hash.values(), key=lambda t: t.id)

    def of_partner(self, partner: str) -> list[Token]:
        return [t for t in self.all() if t.partner == partner]

    def put(self, token: Token) -> None:
        self._by_hash[token.hash] = token

    def remove(self, token_id: str) -> Token | None:
        for digest, token in list(self._by_hash.items()):
            if token.id == token_id:
                return self._by_hash.pop(digest)
        return None
