"""Shopify: Shopify's own samples, byte for byte, through the mapping and a real hub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.catalog import Catalog
from tests.connectors.kit import b64_hmac, configure, events_of, normalize, post, sample, vendor_hub
from tests.helpers import Receiver, verify_outbound

SECRET = "shopify-client-secret"
OLD_SECRET = "shopify-client-secret-before-rotation"
ENV = {"SHOPIFY_SECRET": SECRET, "SHOPIFY_SECRET_OLD": OLD_SECRET}
ENTRY = {"secrets": ["env:SHOPIFY_SECRET", "env:SHOPIFY_SECRET_OLD"]}


def headers(
    topic: str, body: bytes, secret: str = SECRET, webhook_id: str = "wh-1"
) -> dict[str, str]:
    return {
        "x-shopify-topic": topic,
        "x-shopify-hmac-sha256": b64_hmac(secret, body),
        "x-shopify-shop-domain": "jsmith.myshopify.com",
        "x-shopify-api-version": "2026-04",
        "x-shopify-webhook-id": webhook_id,
        "x-shopify-triggered-at": "2025-07-10T16:15:47.000000Z",
    }


def test_the_documented_vector() -> None:
    # REFERENCE.md §1.2: secret "hush", this exact body.
    assert (
        b64_hmac("hush", b'{"id":820982911946154508}')
        == "qBvrsZF7RfB1iS6BX6IHqJTp5L911P7intnPeTPsH0I="
    )


ORDER = "order/820982911946154508"


@pytest.mark.parametrize(
    ("file", "topic", "event_type", "subject"),
    [
        ("shopify_orders_create.json", "orders/create", "order.created", ORDER),
        ("shopify_orders_paid.json", "orders/paid", "order.paid", ORDER),
        ("shopify_orders_cancelled.json", "orders/cancelled", "order.cancelled", ORDER),
        ("shopify_orders_fulfilled.json", "orders/fulfilled", "order.shipped", ORDER),
        ("shopify_fulfillments_create.json", "fulfillments/create", "order.shipped", ORDER),
        ("shopify_customers_create.json", "customers/create", "customer.created",
         "customer/706405506930370084"),
    ],
)  # fmt: skip
async def test_samples_map_by_topic_not_by_payload_state(
    catalog: Catalog, file: str, topic: str, event_type: str, subject: str
) -> None:
    body = sample(file)
    [event] = await normalize(catalog, "shopify", body, headers(topic, body))
    assert (event.type, event.subject) == (event_type, subject)
    assert event.store == "jsmith.myshopify.com"


async def test_an_order_keeps_its_exact_ids_money_and_address(catalog: Catalog) -> None:
    body = sample("shopify_orders_create.json")
    [event] = await normalize(catalog, "shopify", body, headers("orders/create", body))
    data = event.data
    assert data["order_id"] == "820982911946154508"  # above 2^53, not 820982911946154500
    assert data["lines"][0]["line_id"] == "487817672276298554"
    assert data["order_number"] == "#9999"
    assert (data["currency"], data["total"], data["subtotal"]) == ("USD", "404.95", "404.95")
    assert [line["sku"] for line in data["lines"]][:2] == ["SKU2006-001", "LENS-PROTECT-2YR"]
    assert data["shipping_address"]["country"] == "US"
    assert data["shipping_address"]["region"] == "KY"
    assert data["references"]["shopify"] == {
        "order_id": "820982911946154508",
        "order_number": "#9999",
    }
    assert event.time == 1752164147.0  # X-Shopify-Triggered-At


async def test_a_fulfillment_carries_its_tracking(catalog: Catalog) -> None:
    body = sample("shopify_fulfillments_create.json")
    [event] = await normalize(catalog, "shopify", body, headers("fulfillments/create", body))
    assert event.data["tracking_number"] == "1z827wk74630"
    assert event.data["carrier"] == "UPS"
    assert event.data["shipment_id"] == "123456"
    assert event.data["references"]["shopify"]["fulfillment_name"] == "#9999.1"


@pytest.mark.parametrize(
    ("topic", "body", "event_type"),
    [
        ("orders/delete", b'{"id": 820982911946154508}', "order.deleted"),
        ("customers/delete", b'{"id": 706405506930370084, "tax_exemptions": [], "admin_graphql'
         b'_api_id": "gid://shopify/Customer/706405506930370084"}', "customer.deleted"),
        ("carts/update", b'{"id": 1}', "hub.unmapped"),
    ],
)  # fmt: skip
async def test_one_liners_and_unknown_topics(
    catalog: Catalog, topic: str, body: bytes, event_type: str
) -> None:
    [event] = await normalize(catalog, "shopify", body, headers(topic, body))
    assert event.type == event_type
    if event_type == "hub.unmapped":
        assert event.data["topic"] == "carts/update"
        assert event.data["payload"] == {"id": 1}


def verify(body: bytes, sent: dict[str, str]) -> None:
    from hub.inbound.connector import InboundRequest
    from tests.connectors.kit import CONNECTORS

    request = InboundRequest("shopify", sent, {}, body, 0.0)
    CONNECTORS["shopify"].verify(request, configure("shopify", ENTRY, ENV), 300)


@pytest.mark.parametrize(
    ("case", "expected"),
    [("current secret", True), ("previous secret", True), ("other secret", False),
     ("body changed", False), ("missing header", False), ("not base64", False),
     ("hex digest", False), ("events delivery", True)],
)  # fmt: skip
def test_signature_checks(case: str, expected: bool) -> None:
    from hub.errors import InvalidSignature

    body = sample("shopify_orders_create.json")
    sent = headers("orders/create", body)
    if case == "previous secret":
        sent = headers("orders/create", body, OLD_SECRET)
    elif case == "other secret":
        sent = headers("orders/create", body, "someone-else")
    elif case == "body changed":
        body = body + b"\n"
    elif case == "missing header":
        del sent["x-shopify-hmac-sha256"]
    elif case == "not base64":
        sent["x-shopify-hmac-sha256"] = "%%%"
    elif case == "hex digest":
        import hashlib
        import hmac

        sent["x-shopify-hmac-sha256"] = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    elif case == "events delivery":
        sent = {
            "shopify-hmac-sha256": sent.pop("x-shopify-hmac-sha256"),
            "shopify-topic": "orders/create",
        }
    if expected:
        verify(body, sent)
    else:
        with pytest.raises(InvalidSignature):
            verify(body, sent)


async def test_through_the_hub_signed_deduplicated_and_delivered(tmp_path: Path) -> None:
    body = sample("shopify_orders_create.json")
    async with (
        Receiver() as receiver,
        vendor_hub(tmp_path, {"shopify": ENTRY}, ENV, receiver, ["order.*"]) as hub,
    ):
        first = await post(hub, "shopify", body, headers("orders/create", body))
        again = await post(hub, "shopify", body, headers("orders/create", body))
        forged = await post(hub, "shopify", body, headers("orders/create", body, "forged"))
        assert first.status_code == 202, first.text
        assert (again.status_code, again.json()["duplicate"]) == (200, True)
        assert forged.status_code == 401
        assert forged.headers["content-type"] == "application/problem+json"
        got = await receiver.next()
        cloudevent = verify_outbound(got)
        assert cloudevent["type"] == "order.created"
        assert cloudevent["data"]["order_id"] == "820982911946154508"
        assert b'"order_id":"820982911946154508"' in got.body
        stored = await events_of(hub)
        assert [e["type"] for e in stored] == ["order.created"]
        rejected = (await hub.get("/api/rejections"))["items"]
        assert rejected[0]["headers"]["x-shopify-hmac-sha256"] == "[redacted]"


async def test_a_disabled_connector_is_404(tmp_path: Path) -> None:
    body = sample("shopify_orders_create.json")
    async with vendor_hub(tmp_path, {"shopify": ENTRY | {"enabled": False}}, ENV) as hub:
        response = await post(hub, "shopify", body, headers("orders/create", body))
        assert response.status_code == 404


async def test_an_order_edit_names_the_order_not_the_edit(catalog: Catalog) -> None:
    # orders/edited carries the edit; its own id must not become the order's id, or the edit
    # would not correlate with the order it changed.
    edit = {
        "order_edit": {
            "id": 78912328,
            "app_id": None,
            "created_at": "2026-11-20T09:30:00-05:00",
            "committed_at": "2026-11-20T09:31:00-05:00",
            "notify_customer": False,
            "order_id": 820982911946154508,
            "staff_note": "",
            "user_id": None,
            "line_items": {
                "additions": [{"id": 466157049, "delta": 2}],
                "removals": [{"id": 518995019, "delta": 1}],
            },
        }
    }
    body = json.dumps(edit).encode()
    [event] = await normalize(catalog, "shopify", body, {"x-shopify-topic": "orders/edited"})
    assert (event.type, event.subject) == ("order.updated", "order/820982911946154508")
    assert event.data["order_id"] == "820982911946154508"
    assert event.data["edit"] == {
        "edit_id": "78912328",
        "committed_at": "2026-11-20T09:31:00-05:00",
        "additions": [{"line_id": "466157049", "quantity": 2}],
        "removals": [{"line_id": "518995019", "quantity": 1}],
    }
    refs = event.data["references"]["shopify"]
    assert refs == {"order_id": "820982911946154508", "order_edit_id": "78912328"}
