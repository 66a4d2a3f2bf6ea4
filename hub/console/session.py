"""Console sessions: a signed cookie naming who signed in, with its CSRF token.

The cookie holds no token, only the token's id (or ``admin``), and is signed with a key kept in
the store and the admin token's hash, so changing the admin token ends every admin session.
Its timestamp is renewed on each page, which makes its lifetime an idle expiry.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

COOKIE = "hub_console"
PATH = "/console"
ADMIN_ID = "admin"
LINK_PREFIX = "link:"  # a portal session names its link, never the link's secret


@dataclass(frozen=True)
class Session:
    subject: str  # a scoped token's id, "link:<id>" for a portal link, or "admin"
    csrf: str
    notice: str | None = None  # a message for the next page (after an action's redirect)

    def with_notice(self, notice: str | None) -> Session:
        return replace(self, notice=notice)


def new_session(token_id: str | None, link_id: str | None = None) -> Session:
    subject = LINK_PREFIX + link_id if link_id is not None else token_id or ADMIN_ID
    return Session(subject, secrets.token_urlsafe(24))


class ClockSigner(TimestampSigner):
    """Stamps and ages cookies by the hub's clock, so tests drive idle expiry without waiting."""

    def __init__(self, *args: Any, now: Callable[[], float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now

    def get_timestamp(self) -> int:
        return int(self.now())


def signer(key: str, admin_hash: str, now: Callable[[], float]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        key + admin_hash,
        salt="hub.console.session",
        signer=ClockSigner,
        signer_kwargs={"now": now},
    )


def dumps(serializer: URLSafeTimedSerializer, session: Session) -> str:
    doc = {"s": session.subject, "c": session.csrf}
    if session.notice:
        doc["n"] = session.notice
    return str(serializer.dumps(doc))


def loads(serializer: URLSafeTimedSerializer, raw: str | None, idle: float) -> Session | None:
    """The session in a cookie, or None: absent, forged, or idle for longer than `idle`."""
    if not raw:
        return None
    try:
        doc = serializer.loads(raw, max_age=int(idle))
    except BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("s"), str):
        return None
    return Session(doc["s"], str(doc.get("c", "")), doc.get("n"))


def csrf_ok(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf, str(presented))


def same_origin(origin: str | None, base_url: str) -> bool:
    """A form post from our own pages: browsers send Origin with every POST; a missing one is
    left to the CSRF token alone."""
    if not origin:
        return True
    ours, theirs = urlsplit(base_url), urlsplit(origin)
    return (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc)


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a console path only, never another site."""
    if target and target.startswith(PATH + "/") and "\\" not in target and "//" not in target:
        return target
    return PATH + "/"
