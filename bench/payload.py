"""Realistic signed inbound webhooks, built ahead of time (wrk cannot compute HMACs)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from hub import signing

SECRET = "whsec_YmVuY2gtY29ubmVjdG9yLXNlY3JldC1ub3QtZm9yLXByb2R1Y3Rpb24="
SUBSCRIBER_SECRET = "whsec_YmVuY2gtc3Vic2NyaWJlci1zZWNyZXQtbm90LWZvci1wcm9kdWN0aW9u"


def order(n: int) -> dict[str, object]:
    """An order.created payload of about 1 KB with 6 lines."""
    lines = [
        {"line_id": str(i), "sku": f"SKU-{i:04d}", "description": f"Item {i}", "quantity": i,
         "unit_price": f"{9 + i}.99", "line_total": f"{(9 + i) * i}.{99 * i % 100:02d}"}
        for i in range(1, 7)
    ]  # fmt: skip
    return {
        "type": "order.created",
        "timestamp": "2026-11-20T09:30:00Z",
        "company": "USMF",
        "data": {
            "order_id": f"B-{n}", "order_number": f"#{n}", "currency": "EUR",
            "customer": {"customer_id": "C-42", "email": "ada@example.com", "name": "Ada L."},
            "lines": lines, "subtotal": "450.00", "tax_total": "90.00", "total": "540.00",
            "shipping_address": {"name": "Ada L.", "line1": "12 Analytical Row",
                                 "city": "London", "postal_code": "EC1A 1BB", "country": "GB"},
        },
    }  # fmt: skip


def body(n: int) -> bytes:
    return json.dumps(order(n), separators=(",", ":")).encode()


def signed_request(n: int, host: str, run: str, timestamp: int, key: bytes) -> bytes:
    """A raw HTTP/1.1 request with a unique webhook-id."""
    payload = body(n)
    msg_id = f"msg_{run}_{n}"
    signature = signing.sign(key, msg_id, timestamp, payload)
    head = (
        f"POST /webhooks/standard HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: application/json\r\nwebhook-id: {msg_id}\r\n"
        f"webhook-timestamp: {timestamp}\r\nwebhook-signature: {signature}\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


def write_pool(path: Path, count: int, host: str, run: str) -> int:
    """Write `count` requests separated by NUL bytes; returns the average body size."""
    key = signing.decode_secret(SECRET)
    now = int(time.time())
    total = 0
    with path.open("wb") as out:
        for n in range(count):
            request = signed_request(n, host, run, now, key)
            total += len(body(n))
            out.write(request + b"\0")
    return total // max(count, 1)
