"""Which header and query names carry credentials, so that what the hub keeps of a request
or a response (receipts, rejections, a failed attempt's answer) shows them masked."""

from __future__ import annotations

import functools
from collections.abc import Iterable

MASKED = "[redacted]"
SENSITIVE_PARTS = ("authorization", "cookie", "signature", "hmac", "token", "secret", "key")
KEPT_HEADERS = 40  # of a response: enough for any real answer, bounded for a hostile one
KEPT_VALUE = 512


@functools.lru_cache(maxsize=1024)
def sensitive(name: str) -> bool:
    """Whether a header or query parameter of this name carries a credential."""
    lowered = name.lower()
    return lowered == "code" or any(p in lowered for p in SENSITIVE_PARTS)


def masked_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as kept: credentials masked by name, bounded in number and length."""
    kept: dict[str, str] = {}
    for name, value in headers:
        if len(kept) >= KEPT_HEADERS:
            break
        kept[name.lower()] = MASKED if sensitive(name) else value[:KEPT_VALUE]
    return kept
