"""One order's journey across five systems reaches a subscriber as one correlatable stream.

Shopify takes the order, Dynamics 365 invoices it, ShipStation ships it, EasyPost sees it
delivered and QuickBooks records the payment. Each step is posted once the previous one has
been delivered, as the days of a real order would space them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from tests.connectors.fakes import FakeApi
from tests.connectors.kit import b64_hmac, post, sample, vendor_hub
from tests.connectors.test_shipstation import SHIPMENTS
from tests.connectors.test_shopify import headers as shopify_headers
from tests.helpers import Receiver, verify_outbound

ENV = {
    "SHOPIFY_SECRET": "shopify-client-secret", "D365_KEY": "d365-key",
    "SS_SECRET": "ss-secret", "SS_KEY": "k", "SS_API_SECRET": "s",
    "EASYPOST_SECRET": "easypost-secret", "QBO_VERIFIER": "qbo-token", "QBO_AUTH": "Bearer t",
}  # fmt: skip
PAYMENT = {"Payment": {"Id": "77", "TotalAmt": 404.95, "CurrencyRef": {"value": "USD"},
           "TxnDate": "2026-11-25", "PaymentRefNum": "CIV-000123",
           "Line": [{"LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}]}}  # fmt: skip
# Ids that name one document; tenant-wide ids (realm, legal entity, store) do not correlate.
DOCUMENT_KINDS = {"order_id", "order_number", "order_key", "invoice_id", "sales_order_id",
                  "tracking_number", "payment_ref", "shipment_id"}  # fmt: skip


def connectors(api_url: str) -> dict[str, Any]:
    host = api_url.removeprefix("http://")
    policy = {"rules": [{"when": {"store": "jsmith.myshopify.com"}, "assign": {"company": "USMF"}}]}
    return {
        "shopify": {"secrets": ["env:SHOPIFY_SECRET"], "company_policy": policy},
        "d365": {"secrets": ["env:D365_KEY"],
                 "options": {"reference_fields": {"CustomerRef": "shopify.order_id"}}},
        "shipstation": {"secrets": ["env:SS_SECRET"],
                        "fetch": {"allowed_hosts": [host], "username": "env:SS_KEY",
                                  "password": "env:SS_API_SECRET"}},
        "easypost": {"secrets": ["env:EASYPOST_SECRET"]},
        "qbo": {"secrets": ["env:QBO_VERIFIER"],
                "fetch": {"base_url": api_url, "headers": {"Authorization": "env:QBO_AUTH"}}},
    }  # fmt: skip


def invoice() -> bytes:
    doc = json.loads(sample("d365_sales_order_invoiced.json"))
    doc["CustomerRef"] = "820982911946154508"  # the contract extension carrying the shop's id
    return json.dumps(doc).encode()


def delivered_tracker() -> bytes:
    doc = json.loads(sample("easypost_tracker_updated.json"))
    doc["id"] = "evt_journey"
    doc["result"] |= {"tracking_code": "1Z827WK74630", "status": "delivered", "carrier": "UPS"}
    doc["result"]["tracking_details"].append(
        {"status": "delivered", "message": "Delivered", "datetime": "2026-11-24T12:40:00Z"}
    )
    return json.dumps(doc).encode()


def qbo_payment() -> bytes:
    change = {"name": "Payment", "id": "77", "operation": "Create",
              "lastUpdated": "2026-11-25T09:00:00.000Z"}  # fmt: skip
    doc = {"eventNotifications": [{"realmId": "9130", "dataChangeEvent": {"entities": [change]}}]}
    return json.dumps(doc).encode()


def connected(events: list[dict[str, Any]]) -> bool:
    """True when every event shares a document id with the others, directly or in a chain."""
    ids = [
        {value for refs in e["data"]["references"].values() for kind, value in refs.items()
         if kind in DOCUMENT_KINDS}
        for e in events
    ]  # fmt: skip
    reached, frontier = {0}, [0]
    while frontier:
        current = frontier.pop()
        for other, values in enumerate(ids):
            if other not in reached and ids[current] & values:
                reached.add(other)
                frontier.append(other)
    return len(reached) == len(events)


async def test_one_order_from_storefront_to_payment(tmp_path: Path) -> None:
    steps: list[tuple[str, bytes, dict[str, str], str]] = []
    order = sample("shopify_orders_create.json")
    steps.append(("shopify", order, shopify_headers("orders/create", order), ""))
    steps.append(("d365", invoice(), {}, "?code=d365-key"))
    async with (
        FakeApi({"/shipments": SHIPMENTS, "/v3/company/9130/payment/77": PAYMENT}) as api,
        Receiver() as receiver,
        vendor_hub(tmp_path, connectors(api.url), ENV, receiver, ["order.*"]) as hub,
    ):
        ship = json.dumps({"resource_url": f"{api.url}/shipments?batchId=9",
                           "resource_type": "SHIP_NOTIFY"}).encode()  # fmt: skip
        steps.append(("shipstation", ship, {}, "?secret=ss-secret"))
        tracker = delivered_tracker()
        mac = hmac.new(b"easypost-secret", tracker, hashlib.sha256).hexdigest()
        steps.append(("easypost", tracker, {"x-hmac-signature": f"hmac-sha256-hex={mac}"}, ""))
        payment = qbo_payment()
        steps.append(("qbo", payment, {"intuit-signature": b64_hmac("qbo-token", payment)}, ""))
        stream = []
        for connector, body, sent, query in steps:
            response = await post(hub, connector, body, sent, query)
            assert response.status_code == 202, (connector, response.text)
            stream.append(verify_outbound(await receiver.next()))
    expected = ["order.created", "order.invoiced", "order.shipped", "order.delivered", "order.paid"]
    assert [e["type"] for e in stream] == expected
    assert [e["source"] for e in stream] == [
        "/connectors/shopify", "/connectors/d365", "/connectors/shipstation",
        "/connectors/easypost", "/connectors/qbo"]  # fmt: skip
    assert connected(stream)
    assert not connected([stream[0], stream[3]])  # the tracker alone knows no order id
    assert stream[0]["company"] == stream[1]["company"] == "USMF"
    assert stream[4]["data"]["amount"] == "404.95"
