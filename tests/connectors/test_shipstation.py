"""ShipStation: V1 URL secrets with allowlisted fetches, V2 RSA signatures and tracking."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hub.catalog import Catalog
from tests.connectors.fakes import FakeApi
from tests.connectors.kit import events_of, normalize, post, sample, vendor_hub

SECRET = "shipstation-url-secret"
ENV = {"SS_SECRET": SECRET, "SS_KEY": "api-key", "SS_API_SECRET": "api-secret"}
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = (
    KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)
SHIPMENTS = {
    "shipments": [
        {"shipmentId": 33974374, "orderId": 43945660, "orderKey": "820982911946154508",
         "orderNumber": "#9999", "createDate": "2026-11-21T07:00:00.0000000",
         "shipDate": "2026-11-21", "shipmentCost": 7.3, "trackingNumber": "1Z827WK74630",
         "carrierCode": "ups", "serviceCode": "ups_ground", "warehouseId": 17,
         "shipTo": {"name": "Steve Shipper", "street1": "123 Shipping Street",
                    "city": "Shippington", "state": "KY", "postalCode": "40003", "country": "US"},
         "shipmentItems": [{"sku": "SKU2006-001", "name": "Aviator sunglasses", "quantity": 1,
                            "unitPrice": 89.99}],
         "advancedOptions": {"storeId": 123456}},
    ],
    "total": 1, "page": 1, "pages": 1,
}  # fmt: skip


def entry(api_host: str | None = None, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"secrets": ["env:SS_SECRET"], **extra}
    if api_host is not None:
        found["fetch"] = {"allowed_hosts": [api_host], "username": "env:SS_KEY",
                          "password": "env:SS_API_SECRET"}  # fmt: skip
    return found


def notification(url: str, kind: str = "SHIP_NOTIFY") -> bytes:
    return json.dumps({"resource_url": url, "resource_type": kind}).encode()


async def test_a_ship_notify_is_fetched_and_mapped(tmp_path: Path) -> None:
    async with FakeApi({"/shipments": SHIPMENTS}) as api:
        host = api.url.removeprefix("http://")
        body = notification(f"{api.url}/shipments?storeID=123456&batchId=12345678")
        async with vendor_hub(tmp_path, {"shipstation": entry(host)}, ENV) as hub:
            ok = await post(hub, "shipstation", body, {}, f"?secret={SECRET}")
            again = await post(hub, "shipstation", body, {}, f"?secret={SECRET}")
            wrong = await post(hub, "shipstation", body, {}, "?secret=guess")
            assert [r.status_code for r in (ok, again, wrong)] == [202, 200, 401]
            [event] = await events_of(hub)
        auth = api.seen[0]["authorization"]
        assert auth == "Basic " + base64.b64encode(b"api-key:api-secret").decode()
    data = event["data"]
    assert (event["type"], data["order_id"], data["tracking_number"]) == (
        "order.shipped", "43945660", "1Z827WK74630")  # fmt: skip
    assert data["references"]["shipstation"]["order_key"] == "820982911946154508"
    assert data["lines"][0] == {"sku": "SKU2006-001", "description": "Aviator sunglasses",
                                "quantity": 1, "unit_price": "89.99"}  # fmt: skip
    assert data["shipped_at"] == "2026-11-21T00:00:00Z"


async def test_the_samples_without_fetch_are_kept_unmapped(catalog: Catalog) -> None:
    for name in ("shipstation_ship_notify.json", "shipstation_item_ship_notify.json"):
        [event] = await normalize(catalog, "shipstation", sample(name))
        assert event.type == "hub.unmapped"
        assert "no fetch configured" in event.data["reason"]


async def test_a_url_off_the_allowlist_is_never_fetched_and_is_quarantined(tmp_path: Path) -> None:
    body = sample("shipstation_ship_notify.json")  # ssapiX.shipstation.com: not on the list
    async with (
        FakeApi({"/shipments": SHIPMENTS}) as api,
        vendor_hub(tmp_path, {"shipstation": entry(api.url.removeprefix("http://"))}, ENV) as hub,
    ):
        response = await post(hub, "shipstation", body, {}, f"?secret={SECRET}")
        assert response.status_code == 202
        assert response.json()["status"] == "quarantined"
        assert "allowlist" in response.json()["reason"]
        quarantined = (await hub.get("/api/receipts", status="quarantined"))["items"]
        assert [r["id"] for r in quarantined] == [response.json()["receipt_id"]]
        assert "secret" not in json.dumps(quarantined)
        assert api.seen == []


async def test_redirects_are_not_followed(tmp_path: Path) -> None:
    async with FakeApi({"/shipments": SHIPMENTS}) as target:
        async with FakeApi({}, redirect=f"{target.url}/shipments") as api:
            host = api.url.removeprefix("http://")
            body = notification(f"{api.url}/shipments?batchId=1")
            async with vendor_hub(tmp_path, {"shipstation": entry(host)}, ENV) as hub:
                response = await post(hub, "shipstation", body, {}, f"?secret={SECRET}")
                assert response.json()["status"] == "quarantined"
        assert target.seen == []


def v2_headers(body: bytes, at: datetime, key_id: str = "key-1") -> dict[str, str]:
    stamp = at.isoformat().replace("+00:00", "Z")
    signature = KEY.sign(stamp.encode() + b"." + body, padding.PKCS1v15(), hashes.SHA256())
    return {
        "x-shipengine-rsa-sha256-key-id": key_id,
        "x-shipengine-rsa-sha256-signature": base64.b64encode(signature).decode(),
        "x-shipengine-timestamp": stamp,
    }


@pytest.mark.parametrize(
    ("case", "status"),
    [("good", 202), ("stale", 401), ("unknown key", 401), ("changed body", 401)],
)
async def test_v2_rsa_signatures(tmp_path: Path, case: str, status: int) -> None:
    body = sample("shipstation_v2_batch_processed.json")
    async with vendor_hub(
        tmp_path, {"shipstation": entry(options={"public_keys": {"key-1": PEM}})}, ENV
    ) as hub:
        at = datetime.fromtimestamp(hub.clock.now(), UTC)
        if case == "stale":
            at = datetime.fromtimestamp(hub.clock.now() - 400, UTC)
        headers = v2_headers(body, at, "key-2" if case == "unknown key" else "key-1")
        sent = body + b" " if case == "changed body" else body
        response = await post(hub, "shipstation", sent, headers)
        assert response.status_code == status, response.text
        if status == 202:
            [event] = await events_of(hub)
            assert (event["type"], event["data"]["topic"]) == ("hub.unmapped", "BATCH_PROCESSED_V2")


async def test_v2_tracking_events(catalog: Catalog) -> None:
    data = {"tracking_number": "1Z827WK74630", "status_code": "DE", "carrier_code": "ups",
            "status_description": "Delivered", "actual_delivery_date": "2026-11-23T12:40:00Z",
            "events": [{"occurred_at": "2026-11-23T12:40:00Z", "status_code": "DE",
                        "description": "Delivered", "city_locality": "Shippington",
                        "country_code": "US"}]}  # fmt: skip
    body = json.dumps({"resource_url": "https://api.shipengine.com/v1/tracking?x=1",
                       "resource_type": "TRACK_EVENT_V2", "data": data}).encode()  # fmt: skip
    tracking, delivered = await normalize(catalog, "shipstation", body)
    assert (tracking.type, tracking.data["status"]) == ("shipment.tracking_updated", "delivered")
    assert (delivered.type, delivered.data["delivered_at"]) == (
        "order.delivered", "2026-11-23T12:40:00Z")  # fmt: skip


def paged(total: int, fail_page: int | None = None) -> Any:
    """A V1 list endpoint that serves at most 100 per page, whatever pageSize asks for."""

    def serve(query: dict[str, str]) -> Any:
        from starlette.responses import Response

        size = min(int(query.get("pageSize", "100")), 100)
        page = int(query.get("page", "1"))
        if page == fail_page:
            return Response(b"oops", status_code=500)
        pages = -(-total // size)
        first = (page - 1) * size
        items = [
            SHIPMENTS["shipments"][0] | {"shipmentId": n, "trackingNumber": f"1Z{n:06d}"}
            for n in range(first, min(first + size, total))
        ]
        return {"shipments": items, "total": total, "page": page, "pages": pages}

    return serve


async def test_every_page_of_a_batch_is_fetched_one_event_per_shipment(tmp_path: Path) -> None:
    async with FakeApi({"/shipments": paged(230)}) as api:
        body = notification(f"{api.url}/shipments?batchId=77&includeShipmentItems=True")
        host = api.url.removeprefix("http://")
        async with vendor_hub(tmp_path, {"shipstation": entry(host)}, ENV) as hub:
            response = await post(hub, "shipstation", body, {}, f"?secret={SECRET}")
            assert response.status_code == 202, response.text
            assert len(response.json()["event_ids"]) == 230
            events = (await hub.get("/api/events", type="order.shipped", limit=500))["items"]
    shipped = sorted(e["data"]["shipment_id"] for e in events)
    assert shipped == sorted(str(n) for n in range(230))
    pages = [path.rpartition("page=")[2] for path in api.paths]
    assert pages == ["1", "2", "3"]
    assert all("batchId=77" in path and "includeShipmentItems=True" in path for path in api.paths)


async def test_one_failing_page_quarantines_the_whole_notification(tmp_path: Path) -> None:
    async with FakeApi({"/shipments": paged(230, fail_page=2)}) as api:
        body = notification(f"{api.url}/shipments?batchId=78")
        host = api.url.removeprefix("http://")
        async with vendor_hub(tmp_path, {"shipstation": entry(host)}, ENV) as hub:
            response = await post(hub, "shipstation", body, {}, f"?secret={SECRET}")
            assert response.status_code == 202
            assert response.json()["status"] == "quarantined"
            assert "answered 500" in response.json()["reason"]
            assert (await hub.get("/api/events"))["items"] == []  # nothing half-emitted
            # Once the API answers again, re-processing emits the whole batch, once.
            api.routes["/shipments"] = paged(230)
            receipt = response.json()["receipt_id"]
            again = await hub.post(f"/api/receipts/{receipt}/reprocess")
            assert again.status_code == 202 and len(again.json()["event_ids"]) == 230


async def test_a_list_claiming_too_many_pages_is_quarantined(tmp_path: Path) -> None:
    huge = {"shipments": [], "total": 10**7, "page": 1, "pages": 10**5}
    async with FakeApi({"/shipments": huge}) as api:
        body = notification(f"{api.url}/shipments?batchId=79")
        host = api.url.removeprefix("http://")
        async with vendor_hub(tmp_path, {"shipstation": entry(host)}, ENV) as hub:
            response = await post(hub, "shipstation", body, {}, f"?secret={SECRET}")
            assert response.json()["status"] == "quarantined"
            assert "pages" in response.json()["reason"]
        assert len(api.paths) == 1
