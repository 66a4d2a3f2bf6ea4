"""The company policy end to end: assigned before storing, or quarantined and re-processed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.connectors.kit import events_of, post, sample, vendor_hub
from tests.connectors.test_shopify import ENTRY, ENV, headers
from tests.helpers import Receiver, verify_outbound

EU_ONLY = {"rules": [{"when": {"currency": "EUR"}, "assign": {"company": "DEMF"}}]}
US_TOO = {"rules": [*EU_ONLY["rules"],
                    {"when": {"store": "jsmith.myshopify.com"},
                     "assign": {"company": "USMF", "site": "1", "warehouse": "11"}}]}  # fmt: skip


def shopify(policy: dict[str, Any]) -> dict[str, Any]:
    return {"shopify": ENTRY | {"company_policy": policy}}


async def test_an_assigned_company_routes_the_event(tmp_path: Path) -> None:
    body = sample("shopify_orders_create.json")
    async with (
        Receiver() as receiver,
        vendor_hub(tmp_path, shopify(US_TOO), ENV, receiver, ["order.*"]) as hub,
    ):
        response = await post(hub, "shopify", body, headers("orders/create", body))
        assert (response.status_code, response.json()["status"]) == (202, "processed")
        cloudevent = verify_outbound(await receiver.next())
    assert cloudevent["company"] == "USMF"
    assert (cloudevent["data"]["site"], cloudevent["data"]["warehouse"]) == ("1", "11")


async def test_an_unresolved_order_is_quarantined_then_reprocessed(tmp_path: Path) -> None:
    body = sample("shopify_orders_create.json")
    async with Receiver() as receiver:
        async with vendor_hub(tmp_path, shopify(EU_ONLY), ENV, receiver, ["order.*"]) as hub:
            response = await post(hub, "shopify", body, headers("orders/create", body))
            doc = response.json()
            assert (response.status_code, doc["status"], doc["event_ids"]) == (
                202, "quarantined", [])  # fmt: skip
            assert "currency=USD" in doc["reason"] and "store=jsmith.myshopify.com" in doc["reason"]
            # Shopify retries: still a repeat, still nothing fanned out.
            again = await post(hub, "shopify", body, headers("orders/create", body))
            assert (again.status_code, again.json()["duplicate"]) == (200, True)
            too_early = await hub.post(f"/api/receipts/{doc['receipt_id']}/reprocess")
            assert too_early.status_code == 409
            assert await events_of(hub) == []
            kept = await hub.get(f"/api/receipts/{doc['receipt_id']}")
            assert kept["headers"]["x-shopify-hmac-sha256"] == "[redacted]"
            assert kept["headers"]["x-shopify-topic"] == "orders/create"
        # The admin fixes the policy and restarts; the receipt waits in the store.
        async with vendor_hub(tmp_path, shopify(US_TOO), ENV, receiver, ["order.*"]) as hub:
            listed = (await hub.get("/api/receipts"))["items"]
            assert [r["id"] for r in listed] == [doc["receipt_id"]]
            done = await hub.post(f"/api/receipts/{doc['receipt_id']}/reprocess")
            assert done.status_code == 202, done.text
            assert done.json()["status"] == "reprocessed"
            cloudevent = verify_outbound(await receiver.next())
            assert cloudevent["company"] == "USMF"
            assert cloudevent["data"]["order_id"] == "820982911946154508"
            twice = await hub.post(f"/api/receipts/{doc['receipt_id']}/reprocess")
            assert twice.status_code == 409
            assert (await hub.get("/api/receipts"))["items"] == []
            replayed = await post(hub, "shopify", body, headers("orders/create", body))
            assert replayed.json() == {"event_ids": done.json()["event_ids"], "duplicate": True}
