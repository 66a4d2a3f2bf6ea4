"""BigCommerce: every documented sample, both authentication modes, thin orders completed."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from hub.catalog import Catalog
from tests.connectors.fakes import FakeApi
from tests.connectors.kit import events_of, normalize, post, sample, vendor_hub

CLIENT_SECRET = "bc-app-client-secret"
ENTRY = {"secrets": ["env:BC_CLIENT_SECRET"]}
ENV = {"BC_CLIENT_SECRET": CLIENT_SECRET}


def dumps(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def signed(body: bytes, msg_id: str, at: float, secret: str = CLIENT_SECRET) -> dict[str, str]:
    """Headers made as BigCommerce's docs say: the library, keyed with the base64 secret."""
    from datetime import UTC, datetime

    hook = Webhook(base64.b64encode(secret.encode()).decode())
    when = datetime.fromtimestamp(int(at), UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at)),
        "webhook-signature": hook.sign(msg_id, when, body.decode()),
    }


@pytest.mark.parametrize(
    ("file", "event_type", "key", "value"),
    [
        ("bigcommerce_order_created.json", "order.created", "order_id", "250"),
        ("bigcommerce_order_status_updated.json", "order.updated", "source_status",
         "Awaiting Fulfillment"),
        ("bigcommerce_order_status_updated_overview_example.json", "order.updated", "order_id",
         "173331"),
        ("bigcommerce_order_updated_graphql_webhook_example.json", "order.updated", "order_id",
         "272"),
        ("bigcommerce_channel_order_updated.json", "order.updated", "order_id", "127"),
        ("bigcommerce_order_refund_created.json", "order.refunded", "refund_id", "3"),
        ("bigcommerce_order_transaction_created.json", "order.paid", "payment_id", "176342342"),
        ("bigcommerce_shipment_created.json", "order.shipped", "order_id", "251"),
        ("bigcommerce_customer_created.json", "customer.created", "customer_id", "32"),
    ],
)  # fmt: skip
async def test_samples(catalog: Catalog, file: str, event_type: str, key: str, value: str) -> None:
    [event] = await normalize(catalog, "bigcommerce", sample(file))
    assert (event.type, event.data[key]) == (event_type, value)


async def test_channel_and_missing_created_at(catalog: Catalog) -> None:
    [channel] = await normalize(
        catalog, "bigcommerce", sample("bigcommerce_channel_order_updated.json")
    )
    assert channel.data["references"]["bigcommerce"]["channel_id"] == "1"
    assert channel.store == "abcde"
    [overview] = await normalize(
        catalog, "bigcommerce", sample("bigcommerce_order_status_updated_overview_example.json")
    )
    assert overview.time == 1_763_900_000.0  # no created_at: the time it was received


async def test_cancelled_status_and_unknown_scopes(catalog: Catalog) -> None:
    status = {"previous_status_id": 11, "new_status_id": 5}
    body = dumps({"scope": "store/order/statusUpdated", "store_id": "1", "hash": "h",
                  "data": {"type": "order", "id": 9, "status": status}})  # fmt: skip
    [event] = await normalize(catalog, "bigcommerce", body)
    assert (event.type, event.data["previous_status"]) == (
        "order.cancelled",
        "Awaiting Fulfillment",
    )
    for body in (
        dumps({"scope": "store/cart/created", "data": {"id": "c"}, "hash": "x"}),
        dumps({"scope": "store/order/created", "data": {"type": "order"}, "hash": "y"}),
    ):
        [kept] = await normalize(catalog, "bigcommerce", body)
        assert kept.type == "hub.unmapped"


async def test_standard_webhooks_signatures_through_the_hub(tmp_path: Path) -> None:
    body = sample("bigcommerce_order_created.json")
    async with vendor_hub(tmp_path, {"bigcommerce": ENTRY}, ENV) as hub:
        now = hub.clock.now()
        first = await post(hub, "bigcommerce", body, signed(body, "bc-1", now))
        # BigCommerce retries a failed hook with the same hash: it is a repeat.
        again = await post(hub, "bigcommerce", body, signed(body, "bc-2", now))
        stale = await post(hub, "bigcommerce", body, signed(body, "bc-3", now - 600))
        wrong = await post(hub, "bigcommerce", body, signed(body, "bc-4", now, "other"))
        assert [r.status_code for r in (first, again, stale, wrong)] == [202, 200, 401, 401]
        assert [e["type"] for e in await events_of(hub)] == ["order.created"]


async def test_custom_header_authentication(tmp_path: Path) -> None:
    body = sample("bigcommerce_customer_created.json")
    entry = ENTRY | {"options": {"auth": "header", "header": "X-BC-Token"}}
    async with vendor_hub(tmp_path, {"bigcommerce": entry}, ENV) as hub:
        ok = await post(hub, "bigcommerce", body, {"x-bc-token": CLIENT_SECRET})
        bad = await post(hub, "bigcommerce", body, {"x-bc-token": "guess"})
        none = await post(hub, "bigcommerce", body, {})
        assert [r.status_code for r in (ok, bad, none)] == [202, 401, 401]


async def test_a_thin_order_is_completed_from_the_store_api(tmp_path: Path) -> None:
    billing = {
        "first_name": "Ada",
        "last_name": "L",
        "street_1": "1 Main St",
        "city": "Austin",
        "country_iso2": "US",
        "email": "a@x.com",
    }
    order = {
        "id": 250,
        "currency_code": "USD",
        "total_inc_tax": "52.9300",
        "subtotal_ex_tax": "44.98",
        "status": "Awaiting Fulfillment",
        "date_created": "Tue, 25 Jun 2019 16:15:35 +0000",
        "customer_id": 11,
        "billing_address": billing,
    }
    body = dumps({"scope": "store/order/created", "store_id": "1025646",
                  "producer": "stores/abc123", "data": {"type": "order", "id": 250},
                  "hash": "f1", "created_at": 1561479335})  # fmt: skip
    async with FakeApi({"/stores/abc123/v2/orders/250": order}) as api:
        entry: dict[str, Any] = ENTRY | {
            "fetch": {"base_url": api.url, "headers": {"X-Auth-Token": "env:BC_TOKEN"}}
        }
        async with vendor_hub(tmp_path, {"bigcommerce": entry}, ENV | {"BC_TOKEN": "tok"}) as hub:
            response = await post(hub, "bigcommerce", body, signed(body, "bc-9", hub.clock.now()))
            assert response.status_code == 202
            [event] = await events_of(hub)
        assert api.seen[0]["x-auth-token"] == "tok"
    data = event["data"]
    assert (data["order_id"], data["currency"], data["total"]) == ("250", "USD", "52.9300")
    assert data["billing_address"]["country"] == "US"
    assert data["customer"]["customer_id"] == "11"
    assert data["placed_at"] == "2019-06-25T16:15:35Z"


async def test_a_rate_limited_fetch_is_tried_again_within_the_request(tmp_path: Path) -> None:
    from starlette.responses import Response

    answers = [
        Response(status_code=429, headers={"X-Rate-Limit-Time-Reset-Ms": "0"}),
        Response(status_code=503, headers={"Retry-After": "0"}),
        {"id": 251, "currency_code": "EUR", "total_inc_tax": "10.00"},
    ]
    body = dumps({"scope": "store/order/created", "store_id": "1025646",
                  "producer": "stores/abc123", "data": {"type": "order", "id": 251},
                  "hash": "f2", "created_at": 1561479335})  # fmt: skip
    async with FakeApi({"/stores/abc123/v2/orders/251": lambda query: answers.pop(0)}) as api:
        entry: dict[str, Any] = ENTRY | {"fetch": {"base_url": api.url}}
        async with vendor_hub(tmp_path, {"bigcommerce": entry}, ENV) as hub:
            response = await post(hub, "bigcommerce", body, signed(body, "bc-10", hub.clock.now()))
            assert response.status_code == 202
            [event] = await events_of(hub)
    assert len(api.seen) == 3
    assert (event["data"]["currency"], event["data"]["total"]) == ("EUR", "10.00")
