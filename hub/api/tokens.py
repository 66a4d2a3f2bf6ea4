"""Scoped API tokens: made by an admin for one flow or partner, kept only as SHA-256 hashes.

A scoped token may register subscriptions and see only its own subscriptions and their
deliveries; everything else is the admin token's. The token itself is shown once, at creation.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from hub.ids import new_id

PREFIX = "hubt_"


def token_hash(token: str) -> str:
    """How tokens are kept: only their SHA-256 is stored or compared."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Token:
    id: str
    name: str
    hash: str
    created_at: float


@dataclass(frozen=True)
class Principal:
    """Who is calling the API: the admin (``token_id`` None) or a scoped token."""

    token_id: str | None = None
    name: str = "admin"

    @property
    def admin(self) -> bool:
        return self.token_id is None

    def owns(self, owner: str | None) -> bool:
        """Admins see everything; a scoped token sees what it created."""
        return self.admin or owner == self.token_id


ADMIN = Principal()

# The scope key under which the console passes its signed-in principal to its in-process
# calls of /api: ASGI servers build scopes from the wire, so no request can carry it.
CONSOLE_PRINCIPAL = "hub.console_principal"


def new_token(name: str, now: float) -> tuple[Token, str]:
    """A token record and the token itself (shown once)."""
    value = PREFIX + secrets.token_urlsafe(32)
    return Token(new_id("tok"), name, token_hash(value), now), value


def to_document(token: Token) -> str:
    return json.dumps(
        {"id": token.id, "name": token.name, "hash": token.hash, "created_at": token.created_at}
    )


def from_document(doc: str) -> Token:
    raw = json.loads(doc)
    return Token(raw["id"], raw["name"], raw["hash"], raw["created_at"])


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

    def put(self, token: Token) -> None:
        self._by_hash[token.hash] = token

    def remove(self, token_id: str) -> Token | None:
        for digest, token in list(self._by_hash.items()):
            if token.id == token_id:
                return self._by_hash.pop(digest)
        return None
