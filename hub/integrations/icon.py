"""The connector's icon, drawn here so that it needs no image library: a hub, white on the
brand colour (the certification wants a non-white background and 230x230 pixels)."""

from __future__ import annotations

import math
import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    """An 8-bit RGB PNG of `rows` (each width*3 bytes)."""
    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))  # fmt: skip


def _rgb(colour: str) -> tuple[int, int, int]:
    value = int(colour.lstrip("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


def _near_segment(x: float, y: float, end: tuple[float, float], width: float) -> bool:
    """Within `width`/2 of the segment from the origin to `end`."""
    ex, ey = end
    t = max(0.0, min(1.0, (x * ex + y * ey) / (ex * ex + ey * ey)))
    return math.hypot(x - t * ex, y - t * ey) <= width / 2


def hub_icon(size: int, colour: str) -> bytes:
    """A centre and six spokes ending in nodes, the way the hub fans events out."""
    background = bytes(_rgb(colour))
    white = b"\xff\xff\xff"
    scale = size / 230
    nodes = [(76 * scale * math.cos(a), 76 * scale * math.sin(a))
             for a in (math.pi / 3 * k + math.pi / 6 for k in range(6))]  # fmt: skip
    rows = []
    for row in range(size):
        line = bytearray()
        for column in range(size):
            x, y = column - size / 2 + 0.5, row - size / 2 + 0.5
            mark = (math.hypot(x, y) <= 28 * scale
                    or any(math.hypot(x - nx, y - ny) <= 17 * scale for nx, ny in nodes)
                    or any(_near_segment(x, y, n, 9 * scale) for n in nodes))  # fmt: skip
            line += white if mark else background
        rows.append(bytes(line))
    return png(size, size, rows)
