"""Standard Webhooks signatures (spec v1.0.0): pure functions, no I/O.

Signed content is ``{id}.{timestamp}.{raw body}``; a signature is ``v1,<base64 HMAC-SHA256>``
and the header holds a space-separated list of them. Verification never raises anything but
`InvalidSignature`: malformed entries that make the reference library raise `ValueError` or
`binascii.Error` are simply not matches here.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping, Sequence

from hub.errors import InvalidSignature

SECRET_PREFIX = "whsec_"


def decode_secret(secret: str) -> bytes:
    """Decode a ``whsec_`` secret (prefix optional, padding optional) into key bytes.

    Raises:
        ValueError: the secret is empty or not base64.
    """
    body = secret.removeprefix(SECRET_PREFIX)
    if not body:
        raise ValueError("empty signing secret")
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("signing secret is not base64") from None


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return the ``v1,<base64>`` signature of one message."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.digest(key, signed, "sha256")).decode()


def signature_header(keys: Sequence[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """Sign with every key, space-separated, so receivers holding any one of them verify."""
    return " ".join(sign(key, msg_id, timestamp, body) for key in keys)


def _candidates(header: str) -> list[bytes]:
    found = []
    for entry in header.split(" "):
        version, sep, value = entry.partition(",")
        if sep and version == "v1":
            try:
                found.append(base64.b64decode(value, validate=True))
            except (binascii.Error, ValueError):  # ValueError: a non-ASCII character
                continue
    return found


def verify(
    keys: Sequence[bytes],
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    tolerance: int = 300,
) -> str:
    """Check a Standard Webhooks request and return its ``webhook-id``.

    Args:
        keys: acceptable keys (more than one during rotation).
        headers: request headers with lower-case names.
        body: the raw body, exactly as received.
        now: current Unix time.
        tolerance: how far, in seconds, the timestamp may be from `now` either way.

    Raises:
        InvalidSignature: a header is missing, the timestamp is stale or in the future,
            or no signature matches.
    """
    msg_id = headers.get("webhook-id", "")
    raw_ts = headers.get("webhook-timestamp", "")
    header = headers.get("webhook-signature", "")
    missing = [
        name
        for name, value in (
            ("webhook-id", msg_id),
            ("webhook-timestamp", raw_ts),
            ("webhook-signature", header),
        )
        if not value
    ]
    if missing:
        raise InvalidSignature(f"missing header(s): {', '.join(missing)}")
    if not raw_ts.isascii() or not raw_ts.isdigit() or len(raw_ts) > 12:
        raise InvalidSignature("webhook-timestamp is not an integer Unix time")
    timestamp = int(raw_ts)
    if abs(now - timestamp) > tolerance:
        direction = "old" if timestamp < now else "far in the future"
        raise InvalidSignature(f"webhook-timestamp is too {direction} (tolerance {tolerance} s)")
    signed = f"{msg_id}.{timestamp}.".encode() + body
    offered = _candidates(header)
    for key in keys:
        expected = hmac.digest(key, signed, "sha256")  # the one-shot C path
        if any(hmac.compare_digest(expected, candidate) for candidate in offered):
            return msg_id
    raise InvalidSignature("no matching v1 signature in webhook-signature")
