"""Dynamics 365: business events (direct and through Event Grid) and Dataverse data events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.catalog import Catalog
from tests.connectors.kit import configure, events_of, normalize, post, sample, vendor_hub

KEY = "d365-function-key"
ENTRY = {"secrets": ["env:D365_KEY"]}
ENV = {"D365_KEY": KEY}


@pytest.mark.parametrize(
    ("file", "event_type", "key", "value", "company"),
    [
        ("d365_sales_order_invoiced.json", "order.invoiced", "invoice_id", "CIV-000123", "USMF"),
        ("d365_purchase_order_confirmed.json", "purchase_order.confirmed", "purchase_order_id",
         "BRMF-000018", "BRMF"),
        ("d365_alert_business_event.json", "erp.business_event", "business_event_id",
         "BusinessEventsAlertEvent", None),
        ("d365_customer_changed_custom_event.json", "erp.business_event", "business_event_id",
         "FFYCustomerChangedBusinessEvent", "0031"),
    ],
)  # fmt: skip
async def test_business_event_samples(
    catalog: Catalog, file: str, event_type: str, key: str, value: str, company: str | None
) -> None:
    [event] = await normalize(catalog, "d365", sample(file))
    assert (event.type, event.data[key], event.company) == (event_type, value, company)


async def test_an_invoice_converts_dates_and_money(catalog: Catalog) -> None:
    [event] = await normalize(catalog, "d365", sample("d365_sales_order_invoiced.json"))
    data = event.data
    assert (data["invoice_date"], data["due_date"]) == ("2022-12-30", "2023-01-29")
    assert (data["total"], data["tax_total"], data["order_id"]) == ("1250.5", "100.04", "000812")
    assert data["references"]["d365"]["sales_order_id"] == "000812"
    assert data["references"]["d365"]["control_number"] == "5637144580"
    assert event.time == pytest.approx(1672408275.2942742)  # EventTimeIso8601, not EventTime


async def test_a_purchase_order_uses_the_ms_ajax_dates(catalog: Catalog) -> None:
    [event] = await normalize(catalog, "d365", sample("d365_purchase_order_confirmed.json"))
    assert event.data["order_date"] == "2021-11-18"
    assert (event.data["total"], event.data["currency"]) == ("90055.6", "BRL")
    assert event.time == 1637246655.0


async def test_unknown_events_keep_every_field_and_references(catalog: Catalog) -> None:
    body = sample("d365_customer_changed_custom_event.json")
    [event] = await normalize(catalog, "d365", body)
    fields = event.data["fields"]
    assert fields["Contact"]["PostalAddress"]["ZipCode"] == "10022"
    assert fields["Account"] == "6043"
    assert event.data["references"]["spring"] == {"id": "Bloomingdales"}
    assert "ControlNumber" not in fields  # envelope fields are lifted out


async def test_reference_fields_option(catalog: Catalog) -> None:
    doc = json.loads(sample("d365_sales_order_invoiced.json"))
    doc["CustomerRef"] = "#9999"
    config = configure("d365", ENTRY | {"options": {"reference_fields": {
        "CustomerRef": "shopify.order_number"}}}, ENV)  # fmt: skip
    [event] = await normalize(catalog, "d365", json.dumps(doc).encode(), config=config)
    assert event.data["references"]["shopify"] == {"order_number": "#9999"}


async def test_references_declared_for_d365_itself_are_merged(catalog: Catalog) -> None:
    # Both once answered 500: a reference field or an ExternalReferences entry naming D365.
    doc = json.loads(sample("d365_sales_order_invoiced.json"))
    doc |= {
        "CustomerRef": "#9999",
        "ExternalReferences": [
            {"SystemId": "D365", "ExternalId": "X-1"},
            {"SystemId": "d365", "ExternalId": "X-2"},
        ],
    }
    fields = {"CustomerRef": "d365.customer_ref", "InvoiceAccount": "d365.invoice_id"}
    config = configure("d365", ENTRY | {"options": {"reference_fields": fields}}, ENV)
    [event] = await normalize(catalog, "d365", json.dumps(doc).encode(), config=config)
    refs = event.data["references"]["d365"]
    assert (refs["customer_ref"], refs["id"]) == ("#9999", "X-2")
    assert (refs["invoice_id"], refs["sales_order_id"]) == ("CIV-000123", "000812")  # its own win


async def test_the_activation_test_message_is_acknowledged_and_ignored(tmp_path: Path) -> None:
    doc = json.loads(sample("d365_batch_job_started_schema_sample.json"))
    doc |= {"BusinessEventId": "BusinessEventsTestEndpointContract", "EventId": "T-1",
            "ControlNumber": -9223372036854775808}  # fmt: skip
    async with vendor_hub(tmp_path, {"d365": ENTRY}, ENV) as hub:
        response = await post(hub, "d365", json.dumps(doc).encode(), {}, f"?code={KEY}")
        assert response.status_code == 202
        assert response.json()["status"] == "ignored"
        assert await events_of(hub) == []


async def test_keys_in_the_query_or_a_header_and_repeats(tmp_path: Path) -> None:
    body = sample("d365_purchase_order_confirmed.json")
    async with vendor_hub(tmp_path, {"d365": ENTRY}, ENV) as hub:
        by_query = await post(hub, "d365", body, {}, f"?code={KEY}")
        by_header = await post(hub, "d365", body, {"x-functions-key": KEY})
        wrong = await post(hub, "d365", body, {}, "?code=guess")
        none = await post(hub, "d365", body, {})
        assert [r.status_code for r in (by_query, by_header, wrong, none)] == [202, 200, 401, 401]
        kept = (await hub.get("/api/rejections"))["items"]
        assert all(KEY not in json.dumps(r) for r in kept)


async def test_event_grid_validation_and_delivery(tmp_path: Path) -> None:
    validation = sample("azure_eventgrid_subscription_validation.json")
    expected = json.loads(sample("azure_eventgrid_subscription_validation_response.json"))
    business = json.loads(sample("d365_sales_order_invoiced.json"))
    grid = [{"id": "g-1", "eventType": "SalesInvoicePostedBusinessEvent", "subject": "",
             "eventTime": "2022-12-30T13:51:15Z", "data": business}]  # fmt: skip
    async with vendor_hub(tmp_path, {"d365": ENTRY}, ENV) as hub:
        echo = await post(
            hub, "d365", validation, {"aeg-event-type": "SubscriptionValidation"}, f"?code={KEY}"
        )
        assert (echo.status_code, echo.json()) == (200, expected)
        unauthenticated = await post(
            hub, "d365", validation, {"aeg-event-type": "SubscriptionValidation"}
        )
        assert unauthenticated.status_code == 401
        notification = await post(
            hub, "d365", json.dumps(grid).encode(), {"aeg-event-type": "Notification"},
            f"?code={KEY}",
        )  # fmt: skip
        assert notification.status_code == 202
        assert [e["type"] for e in await events_of(hub)] == ["order.invoiced"]


async def test_dataverse_contact_update(catalog: Catalog) -> None:
    [event] = await normalize(catalog, "dataverse", sample("dataverse_webhook_contact_update.json"))
    data = event.data
    assert (event.type, data["record_id"]) == (
        "contact.updated",
        "6d81597f-0f9f-e711-8122-000d3aa2331c",
    )
    assert data["record"]["firstname"] == "James"
    assert data["record"]["modifiedon"] == "2017-09-26T00:04:07Z"
    assert data["record"]["modifiedby"] == "75c2dd85-e89e-e711-8122-000d3aa2331c"
    assert data["changed_at"] == "2017-09-26T07:04:08Z"  # /Date(ms-0700)/: ms are UTC


async def test_finance_and_operations_data_event(catalog: Catalog) -> None:
    [event] = await normalize(catalog, "dataverse", sample("d365_data_event_create_observed.json"))
    assert event.type == "custcustomergroup.created"
    assert event.data["record_id"] == "00004951-0000-0000-5e1a-005001000000"
    assert event.data["record"]["mserp_issalestaxincludedinprice"] == 200000000
    assert event.company == "ALAS"


async def test_dataverse_through_the_hub(tmp_path: Path) -> None:
    body = sample("dataverse_webhook_contact_update.json")
    entry = ENTRY | {"options": {"header": "x-hub-key"}}
    async with vendor_hub(tmp_path, {"dataverse": entry}, ENV) as hub:
        first = await post(hub, "dataverse", body, {"x-hub-key": KEY})
        again = await post(hub, "dataverse", body, {"x-hub-key": KEY})
        default_header = await post(hub, "dataverse", body, {"x-functions-key": KEY})
        assert [r.status_code for r in (first, again, default_header)] == [202, 200, 401]
