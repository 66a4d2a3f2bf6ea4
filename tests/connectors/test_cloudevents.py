"""CloudEvents: structured, batch and binary modes, both token styles, the handshakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.catalog import Catalog
from tests.connectors.kit import events_of, normalize, post, sample, vendor_hub
from tests.helpers import order_data

TOKEN = "cloudevents-token"
ENTRY = {"secrets": ["env:CE_TOKEN"], "options": {"type_prefix": "com.example.hub."}}
ENV = {"CE_TOKEN": TOKEN}
STRUCTURED = {"content-type": "application/cloudevents+json; charset=utf-8"}


def order_event(event_id: str = "A-1") -> dict[str, object]:
    return {"specversion": "1.0", "id": event_id, "source": "/shop", "type":
            "com.example.hub.order.created", "time": "2026-11-20T09:30:00Z",
            "company": "USMF", "data": order_data("1001")}  # fmt: skip


async def test_the_spec_samples_are_kept_unmapped(catalog: Catalog) -> None:
    for name in ("cloudevents_structured_json_example.json",
                 "cloudevents_structured_json_example_xml_data.json"):  # fmt: skip
        [event] = await normalize(catalog, "cloudevents", sample(name), STRUCTURED)
        assert (event.type, event.data["topic"]) == ("hub.unmapped", "com.example.someevent")
        assert event.data["payload"]["id"] in ("C234-1234-1234", "B234-1234-1234")


async def test_a_catalog_type_becomes_that_event(tmp_path: Path) -> None:
    body = json.dumps(order_event()).encode()
    async with vendor_hub(tmp_path, {"cloudevents": ENTRY}, ENV) as hub:
        bearer = await post(
            hub, "cloudevents", body, STRUCTURED | {"authorization": f"Bearer {TOKEN}"}
        )
        again = await post(hub, "cloudevents", body, STRUCTURED, f"?access_token={TOKEN}")
        wrong = await post(hub, "cloudevents", body, STRUCTURED, "?access_token=nope")
        none = await post(hub, "cloudevents", body, STRUCTURED)
        assert [r.status_code for r in (bearer, again, wrong, none)] == [202, 200, 401, 401]
        [event] = await events_of(hub)
        assert (event["type"], event["company"]) == ("order.created", "USMF")


async def test_batch_mode(tmp_path: Path) -> None:
    body = json.dumps([order_event("B-1"), order_event("B-2"), {"specversion": "1.0"}]).encode()
    batch = {
        "content-type": "application/cloudevents-batch+json",
        "authorization": f"Bearer {TOKEN}",
    }
    async with vendor_hub(tmp_path, {"cloudevents": ENTRY}, ENV) as hub:
        refused = await post(hub, "cloudevents", body, batch)
        assert refused.status_code == 422
        pointers = {e["pointer"] for e in refused.json()["errors"]}
        assert pointers == {"/2/id", "/2/source", "/2/type"}
        good = json.dumps([order_event("B-1"), order_event("B-2")]).encode()
        assert (await post(hub, "cloudevents", good, batch)).status_code == 202
        assert len(await events_of(hub)) == 2


async def test_binary_mode_with_percent_encoded_headers(tmp_path: Path) -> None:
    body = json.dumps(order_data("1002")).encode()
    headers = {"content-type": "application/json", "authorization": f"Bearer {TOKEN}",
               "ce-specversion": "1.0", "ce-id": "C-1", "ce-source": "/shop",
               "ce-type": "com.example.hub.order.created",
               "ce-subject": "Euro%20%E2%82%AC"}  # fmt: skip
    async with vendor_hub(tmp_path, {"cloudevents": ENTRY}, ENV) as hub:
        ok = await post(hub, "cloudevents", body, headers)
        assert ok.status_code == 202, ok.text
        [event] = await events_of(hub)
        assert event["subject"] == "Euro €"
        bad = await post(
            hub, "cloudevents", body, headers | {"ce-id": "C-2", "ce-subject": "%C0%A0"}
        )
        assert bad.status_code == 400
        missing = await post(
            hub, "cloudevents", body, {k: v for k, v in headers.items() if k != "ce-type"}
        )
        assert missing.status_code == 422
        assert missing.json()["errors"][0]["pointer"] == "/headers/ce-type"


@pytest.mark.parametrize(("rate", "expected_rate"), [(None, None), ("120", "*")])
async def test_the_abuse_protection_handshake(
    tmp_path: Path, rate: str | None, expected_rate: str | None
) -> None:
    asked = {"webhook-request-origin": "eventemitter.example.com"}
    if rate:
        asked["webhook-request-rate"] = rate
    async with vendor_hub(tmp_path, {"cloudevents": ENTRY}, ENV) as hub:
        granted = await hub.client.options("/webhooks/cloudevents", headers=asked)
        assert granted.status_code == 200
        assert granted.headers["webhook-allowed-origin"] == "eventemitter.example.com"
        assert granted.headers.get("webhook-allowed-rate") == expected_rate
        assert "POST" in granted.headers["allow"]
        unknown = await hub.client.options("/webhooks/nosuch", headers=asked)
        assert unknown.status_code == 404
        assert "webhook-allowed-origin" not in unknown.headers


async def test_event_grid_validation_is_echoed(tmp_path: Path) -> None:
    body = sample("azure_eventgrid_subscription_validation.json")
    expected = json.loads(sample("azure_eventgrid_subscription_validation_response.json"))
    headers = {"aeg-event-type": "SubscriptionValidation"}
    async with vendor_hub(tmp_path, {"cloudevents": ENTRY}, ENV) as hub:
        echo = await post(hub, "cloudevents", body, headers, f"?access_token={TOKEN}")
        assert (echo.status_code, echo.json()) == (200, expected)
