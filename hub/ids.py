"""Identifiers: prefixed, time-ordered, URL-safe.

Ids sort in creation order, which is what cursor pagination and "newest first" listings rely on.
"""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, as ULID uses


class _Monotonic:
    """A ULID-style generator: 48 bits of milliseconds, 80 bits that only grow within a ms."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._last_rand = 0

    def next(self) -> str:
        with self._lock:
            ms = time.time_ns() // 1_000_000
            if ms <= self._last_ms:
                # Same (or a backwards-stepped) millisecond: keep order by incrementing.
                ms = self._last_ms
                rand = self._last_rand + 1
            else:
                rand = int.from_bytes(os.urandom(10), "big") >> 1
            self._last_ms, self._last_rand = ms, rand
        value = (ms << 80) | (rand & ((1 << 80) - 1))
        return "".join(_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))


_GENERATOR = _Monotonic()


def new_id(prefix: str) -> str:
    """Return a fresh id such as ``evt_01JD3...``, later ids sorting after earlier ones."""
    return f"{prefix}_{_GENERATOR.next()}"
