"""Xero: the intent-to-receive handshake, signatures, and thin events to data events."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.catalog import Catalog
from tests.connectors.kit import b64_hmac, events_of, normalize, post, sample, vendor_hub

KEY = "xero_webhook_test_secret"
ITR = b'{ "events" : [], "lastEventSequence" : 0 , "firstEventSequence" : 0 , "entropy" : "S0m3r4Nd0mt3xt" }'  # noqa: E501
ENTRY = {"secrets": ["env:XERO_KEY"]}


def test_the_documented_vector() -> None:
    assert b64_hmac(KEY, ITR) == "hnekiT0GuNX9rRmSlg0oxCxyBHwzBcb0J24w8gQbXo0="


async def test_intent_to_receive_is_200_or_401_with_empty_bodies(tmp_path: Path) -> None:
    async with vendor_hub(tmp_path, {"xero": ENTRY}, {"XERO_KEY": KEY}) as hub:
        good = await post(hub, "xero", ITR, {"x-xero-signature": b64_hmac(KEY, ITR)})
        bad = await post(hub, "xero", ITR, {"x-xero-signature": b64_hmac("wrong", ITR)})
        missing = await post(hub, "xero", ITR, {})
        for response, status in ((good, 200), (bad, 401), (missing, 401)):
            assert response.status_code == status
            assert response.content == b""
            assert "set-cookie" not in response.headers
        assert await events_of(hub) == []
        assert len((await hub.get("/api/rejections"))["items"]) == 2
        ignored = (await hub.get("/api/receipts", status="ignored"))["items"]
        assert len(ignored) == 1


@pytest.mark.parametrize(
    ("file", "event_type", "record_id"),
    [
        ("xero_event.json", "contact.updated", "717f2bfc-c6d4-41fd-b238-3f2f0c0cf777"),
        ("xero_creditnote_event.json", "credit_note.created",
         "55d84274-a3da-4829-a7c0-0cab601b95cc"),
    ],
)  # fmt: skip
async def test_samples_become_data_events(
    catalog: Catalog, file: str, event_type: str, record_id: str
) -> None:
    [event] = await normalize(catalog, "xero", sample(file))
    assert (event.type, event.data["record_id"]) == (event_type, record_id)
    assert event.data["source_system"] == "xero"
    assert event.data["changed_at"].endswith("Z")  # Xero sends no zone: it is UTC
    if event_type == "credit_note.created":
        assert event.data["record"]["Status"] == "DRAFT"


async def test_a_redelivery_is_deduplicated(tmp_path: Path) -> None:
    body = sample("xero_event.json")
    headers = {"x-xero-signature": b64_hmac(KEY, body)}
    async with vendor_hub(tmp_path, {"xero": ENTRY}, {"XERO_KEY": KEY}) as hub:
        assert (await post(hub, "xero", body, headers)).status_code == 200
        assert (await post(hub, "xero", body, headers)).status_code == 200
        assert [e["type"] for e in await events_of(hub)] == ["contact.updated"]
