"""QuickBooks Online: both payload formats, signatures, thin payments completed by a fetch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hub.catalog import Catalog
from tests.connectors.kit import b64_hmac, events_of, normalize, post, sample, vendor_hub

TOKEN = "qbo-verifier-token"
ENTRY = {"secrets": ["env:QBO_VERIFIER"]}
ENV = {"QBO_VERIFIER": TOKEN}


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("qbo_event.json", [("account.created", "1234", "310687")]),
        ("qbo_event_legacy_docs_sample.json",
         [("customer.created", "1", "1185883450"), ("vendor.created", "1", "1185883450")]),
        ("qbo_cloudevents.json", [("account.created", "1234", "310687")]),
    ],
)  # fmt: skip
async def test_both_formats_map_to_the_same_events(
    catalog: Catalog, file: str, expected: list[tuple[str, str, str]]
) -> None:
    events = await normalize(catalog, "qbo", sample(file))
    found = []
    for event in events:
        refs = event.data["references"]["qbo"]
        key = event.data.get("record_id") or event.data.get("customer_id") or event.data.get(
            "vendor_id")  # fmt: skip
        found.append((event.type, key, refs["realm_id"]))
    assert found == expected


async def test_cloudevents_variants_without_data_and_with_merges(catalog: Catalog) -> None:
    doc = json.loads(sample("qbo_cloudevents_data_object_examples.json"))
    body = json.dumps(
        doc["customer_merged"] + doc["employee_created"]
        + doc["salesreceipt_updated_no_data_no_datacontenttype"]
    ).encode()  # fmt: skip
    merged, employee, receipt = await normalize(catalog, "qbo", body)
    assert (merged.type, merged.data["source_status"]) == ("customer.updated", "merged")
    assert merged.data["references"]["qbo"]["merged_from_id"] == "27"
    assert (employee.type, employee.data["record_id"]) == ("employee.created", "000000011")
    assert employee.data["record"]["alternative_ids"][0]["id"].endswith(":400000011")
    assert (receipt.type, receipt.data["record"]) == ("salesreceipt.updated", {})
    assert receipt.data["changed_at"] == "2026-03-17T16:19:17Z"


@pytest.mark.parametrize(
    ("entity", "operation", "event_type"),
    [("Invoice", "Create", "order.invoiced"), ("Invoice", "Void", "invoice.updated"),
     ("Invoice", "Delete", "invoice.deleted"), ("Payment", "Create", "order.paid"),
     ("Item", "Update", "product.updated"), ("Invoice", "Emailed", "hub.unmapped")],
)  # fmt: skip
async def test_operations(catalog: Catalog, entity: str, operation: str, event_type: str) -> None:
    body = legacy(entity, operation, "130")
    [event] = await normalize(catalog, "qbo", body)
    assert event.type == event_type


def legacy(entity: str, operation: str, entity_id: str, realm: str = "9130") -> bytes:
    change = {"name": entity, "id": entity_id, "operation": operation,
              "lastUpdated": "2026-11-20T10:00:00.000Z"}  # fmt: skip
    doc = {"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": [change]}}]}
    return json.dumps(doc).encode()


async def test_signatures_and_repeats_through_the_hub(tmp_path: Path) -> None:
    body = sample("qbo_cloudevents.json")
    async with vendor_hub(tmp_path, {"qbo": ENTRY}, ENV) as hub:
        first = await post(hub, "qbo", body, {"intuit-signature": b64_hmac(TOKEN, body)})
        again = await post(hub, "qbo", body, {"intuit-signature": b64_hmac(TOKEN, body)})
        wrong = await post(hub, "qbo", body, {"intuit-signature": b64_hmac("nope", body)})
        missing = await post(hub, "qbo", body, {})
        assert [r.status_code for r in (first, again, wrong, missing)] == [202, 200, 401, 401]
        assert [e["type"] for e in await events_of(hub)] == ["account.created"]


async def test_a_payment_is_completed_from_the_api(tmp_path: Path) -> None:
    from tests.connectors.fakes import FakeApi

    payment = {"Payment": {"Id": "77", "TotalAmt": 404.95, "CurrencyRef": {"value": "USD"},
               "TxnDate": "2026-11-22", "PaymentRefNum": "CIV-000123",
               "CustomerRef": {"value": "58"},
               "Line": [{"Amount": 404.95,
                         "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}]}}  # fmt: skip
    async with FakeApi({"/v3/company/9130/payment/77": payment}) as api:
        entry: dict[str, Any] = ENTRY | {
            "fetch": {"base_url": api.url, "headers": {"Authorization": "env:QBO_BEARER"}}
        }
        env = ENV | {"QBO_BEARER": "Bearer qbo-access-token"}
        body = legacy("Payment", "Create", "77")
        async with vendor_hub(tmp_path, {"qbo": entry}, env) as hub:
            response = await post(hub, "qbo", body, {"intuit-signature": b64_hmac(TOKEN, body)})
            assert response.status_code == 202, response.text
            [event] = await events_of(hub)
        assert api.seen[0]["authorization"] == "Bearer qbo-access-token"
    data = event["data"]
    assert (event["type"], data["amount"], data["currency"], data["invoice_id"]) == (
        "order.paid", "404.95", "USD", "130")  # fmt: skip
    assert data["references"]["qbo"]["payment_ref"] == "CIV-000123"


async def test_a_failed_fetch_leaves_the_payment_thin(tmp_path: Path) -> None:
    from tests.connectors.fakes import FakeApi

    async with FakeApi({}) as api:  # every path answers 404
        entry: dict[str, Any] = ENTRY | {"fetch": {"base_url": api.url}}
        body = legacy("Payment", "Create", "78")
        async with vendor_hub(tmp_path, {"qbo": entry}, ENV) as hub:
            response = await post(hub, "qbo", body, {"intuit-signature": b64_hmac(TOKEN, body)})
            assert response.status_code == 202
            [event] = await events_of(hub)
    assert event["data"]["payment_id"] == "78"
    assert "amount" not in event["data"]
