"""EasyPost: the official HMAC vector, and tracker updates to tracking and delivery events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.catalog import Catalog
from hub.errors import InvalidSignature
from hub.inbound.connector import InboundRequest
from tests.connectors.kit import (
    CONNECTORS,
    configure,
    events_of,
    normalize,
    post,
    sample,
    vendor_hub,
)

VECTOR = json.loads(sample("easypost_hmac_vector.json"))
BODY = sample("easypost_tracker_updated.json")
ENTRY = {"secrets": ["env:EASYPOST_SECRET"]}


def verify(body: bytes, signature: str | None, secret: str) -> None:
    headers = {} if signature is None else {"x-hmac-signature": signature}
    request = InboundRequest("easypost", headers, {}, body, 0.0)
    config = configure("easypost", ENTRY, {"EASYPOST_SECRET": secret})
    CONNECTORS["easypost"].verify(request, config, 300)


@pytest.mark.parametrize(
    ("case", "body", "signature", "secret", "ok"),
    [
        ("official vector", BODY, VECTOR["expected_header_value"], "sécret", True),
        ("secret typed decomposed", BODY, VECTOR["expected_header_value"], "se\u0301cret", True),
        ("signed with the NFC secret", BODY,
         VECTOR["negative_checks_computed_by_researcher"]["same_body_secret_NOT_normalized_(NFC)"],
         "sécret", False),
        ("body with a newline", BODY + b"\n", VECTOR["expected_header_value"], "sécret", False),
        ("no header", BODY, None, "sécret", False),
        ("no prefix", BODY, VECTOR["expected_header_value"].split("=", 1)[1], "sécret", False),
        ("upper-case hex", BODY, VECTOR["expected_header_value"].upper().replace("HMAC-SHA256-HEX",
         "hmac-sha256-hex"), "sécret", True),
    ],
)  # fmt: skip
def test_signature(case: str, body: bytes, signature: str | None, secret: str, ok: bool) -> None:
    if ok:
        verify(body, signature, secret)
    else:
        with pytest.raises(InvalidSignature):
            verify(body, signature, secret)


async def test_tracker_update_maps_to_tracking(catalog: Catalog) -> None:
    [event] = await normalize(catalog, "easypost", BODY)
    assert event.type == "shipment.tracking_updated"
    data = event.data
    assert (data["tracking_number"], data["status"], data["previous_status"]) == (
        "1", "in_transit", "in_transit")  # fmt: skip
    assert data["carrier"] == "FedEx"
    assert data["checkpoints"][0]["status"] == "pre_transit"
    assert data["references"]["easypost"]["tracker_id"] == "trk_1"


async def test_delivered_also_yields_order_delivered(catalog: Catalog) -> None:
    doc = json.loads(BODY)
    doc["result"]["status"] = "delivered"
    doc["result"]["tracking_details"].append(
        {"status": "delivered", "message": "Delivered", "datetime": "2024-08-05T15:00:00Z"}
    )
    tracking, delivered = await normalize(catalog, "easypost", json.dumps(doc).encode())
    assert (tracking.type, delivered.type) == ("shipment.tracking_updated", "order.delivered")
    assert delivered.data["delivered_at"] == "2024-08-05T15:00:00Z"
    assert delivered.data["tracking_number"] == "1"


async def test_other_events_are_kept_unmapped(catalog: Catalog) -> None:
    body = b'{"id": "evt_2", "description": "batch.created", "result": {}}'
    [event] = await normalize(catalog, "easypost", body)
    assert (event.type, event.data["topic"]) == ("hub.unmapped", "batch.created")


async def test_through_the_hub(tmp_path: Path) -> None:
    headers = {"x-hmac-signature": VECTOR["expected_header_value"]}
    async with vendor_hub(tmp_path, {"easypost": ENTRY}, {"EASYPOST_SECRET": "sécret"}) as hub:
        first = await post(hub, "easypost", BODY, headers)
        again = await post(hub, "easypost", BODY, headers)
        bad = await post(hub, "easypost", BODY + b" ", headers)
        assert (first.status_code, again.status_code, bad.status_code) == (202, 200, 401)
        assert [e["type"] for e in await events_of(hub)] == ["shipment.tracking_updated"]
