"""ShipStation: shipments and orders from the fulfillment side, V1 and V2 (ShipEngine).

Authenticity:

* V1 signs nothing: the endpoint URL carries a secret (``?secret=``, renamed by
  ``options.query``), compared in constant time with the configured secrets.
* V2 signs with RSA-SHA256: ``x-shipengine-rsa-sha256-signature`` (base64) over
  ``"{x-shipengine-timestamp}.{raw body}"``, with the public key named by
  ``x-shipengine-rsa-sha256-key-id``. The keys are ShipEngine's JWKS, given as PEM in
  ``options.public_keys`` (``{key id: PEM}``). Timestamps more than the tolerance away are
  refused.

V1 payloads are a pointer (``resource_url``); the shipments or orders are fetched with Basic auth
from hosts on the ``fetch.allowed_hosts`` list only, since a forged URL would otherwise receive
the API credentials. The list is paged (``page``, ``pages``): every page is fetched, 500 items
each, and one ``order.shipped`` is emitted per shipment. A notification of which any page cannot
be fetched is quarantined whole, to be re-processed.
V2 tracking events carry their data and map to ``shipment.tracking_updated``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cryptography.exceptions import InvalidSignature as BadRsaSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from connectors._common import (
    array,
    compact,
    country,
    header,
    instant,
    money,
    obj,
    references,
    rfc3339,
    text,
)
from hub.errors import InvalidSignature
from hub.inbound.connector import (
    BaseConnector,
    ConnectorConfig,
    InboundRequest,
    NormalizeContext,
    Quarantine,
    require_object,
    unmapped,
)
from hub.inbound.fetcher import Fetcher, FetchError
from hub.model import CanonicalEvent

SHIPMENTS = {"SHIP_NOTIFY", "ITEM_SHIP_NOTIFY"}
ORDERS = {"ORDER_NOTIFY", "ITEM_ORDER_NOTIFY"}
FULFILLMENTS = {"FULFILLMENT_SHIPPED"}
# ShipEngine tracking status codes -> canonical statuses
PAGE_SIZE = 500  # the most ShipStation's V1 list endpoints serve per page
MAX_PAGES = 50  # 25,000 shipments: a bound on what one notification may make the hub fetch
TRACKING = {
    "UN": "unknown", "AC": "pre_transit", "NY": "pre_transit", "IT": "in_transit",
    "AT": "out_for_delivery", "DE": "delivered", "EX": "failure", "SP": "available_for_pickup",
}  # fmt: skip


@lru_cache(maxsize=32)
def _public_key(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def verify_v2(request: InboundRequest, keys: Mapping[str, str], tolerance: int) -> None:
    """Check a ShipEngine RSA-SHA256 signature.

    Raises:
        InvalidSignature
    """
    key_id = header(request, "x-shipengine-rsa-sha256-key-id") or ""
    stamp = header(request, "x-shipengine-timestamp") or ""
    try:
        signature = base64.b64decode(header(request, "x-shipengine-rsa-sha256-signature") or "")
    except (binascii.Error, ValueError):
        raise InvalidSignature("x-shipengine-rsa-sha256-signature is not base64") from None
    sent_at = instant(stamp)
    if sent_at is None or abs(request.received_at - sent_at.timestamp()) > tolerance:
        raise InvalidSignature("x-shipengine-timestamp is missing or outside the tolerance")
    if key_id not in keys:
        raise InvalidSignature(f"unknown ShipEngine key id {key_id[:64]!r}")
    try:
        _public_key(keys[key_id]).verify(
            signature, stamp.encode() + b"." + request.body, padding.PKCS1v15(), hashes.SHA256()
        )
    except (BadRsaSignature, ValueError):
        raise InvalidSignature("the ShipEngine signature does not match the body") from None


def _address(raw: Any) -> dict[str, Any]:
    raw = obj(raw)
    return compact(
        {
            "name": text(raw.get("name")),
            "company": text(raw.get("company")),
            "line1": text(raw.get("street1")),
            "line2": text(raw.get("street2")),
            "city": text(raw.get("city")),
            "region": text(raw.get("state")),
            "postal_code": text(raw.get("postalCode")),
            "country": country(raw.get("country")),
            "phone": text(raw.get("phone")),
        }
    )


def shipped(item: Mapping[str, Any]) -> dict[str, Any]:
    """A fetched shipment or fulfillment as ``order.shipped``."""
    lines = [
        compact({"sku": text(i.get("sku")), "description": text(i.get("name")),
                 "quantity": i.get("quantity"), "unit_price": money(i.get("unitPrice"))})
        for i in array(item.get("shipmentItems"))
        if isinstance(i, dict)
    ]  # fmt: skip
    shipment_id = text(item.get("shipmentId")) or text(item.get("fulfillmentId"))
    return compact(
        {
            "order_id": text(item.get("orderId")),
            "order_number": text(item.get("orderNumber")),
            "shipment_id": shipment_id,
            "carrier": text(item.get("carrierCode")) or text(item.get("fulfillmentProviderCode")),
            "service": text(item.get("serviceCode")),
            "tracking_number": text(item.get("trackingNumber")),
            "shipped_at": rfc3339(item.get("shipDate")) or rfc3339(item.get("createDate")),
            "shipping_cost": money(item.get("shipmentCost")),
            "warehouse": text(item.get("warehouseId")),
            "ship_to": _address(item.get("shipTo")),
            "lines": lines,
            "references": references(
                shipstation={
                    "order_id": item.get("orderId"),
                    "order_key": item.get("orderKey"),
                    "order_number": item.get("orderNumber"),
                    "shipment_id": shipment_id,
                    "tracking_number": item.get("trackingNumber"),
                    "store_id": obj(item.get("advancedOptions")).get("storeId"),
                }
            ),
        }
    )


def order_update(item: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "order_id": text(item.get("orderId")),
            "order_number": text(item.get("orderNumber")),
            "placed_at": rfc3339(item.get("orderDate")),
            "total": money(item.get("orderTotal")),
            "source_status": text(item.get("orderStatus")),
            "shipping_address": _address(item.get("shipTo")),
            "references": references(
                shipstation={
                    "order_id": item.get("orderId"),
                    "order_key": item.get("orderKey"),
                    "order_number": item.get("orderNumber"),
                }
            ),
        }
    )


def _checkpoint(event: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "status": text(event.get("status_code")),
            "message": text(event.get("description")),
            "at": rfc3339(event.get("occurred_at")),
            "city": text(event.get("city_locality")),
            "region": text(event.get("state_province")),
            "country": country(event.get("country_code")),
        }
    )


def tracking(data: Mapping[str, Any]) -> dict[str, Any]:
    code = str(data.get("status_code") or "UN").upper()
    ids = ("label_id", "shipment_id", "tracking_number")
    return compact(
        {
            "tracking_number": text(data.get("tracking_number")),
            "status": TRACKING.get(code, "unknown"),
            "status_detail": text(data.get("status_description")),
            "carrier": text(data.get("carrier_code")),
            "shipment_id": text(data.get("shipment_id")),
            "estimated_delivery": rfc3339(data.get("estimated_delivery_date")),
            "updated_at": rfc3339(data.get("actual_delivery_date")),
            "checkpoints": [
                _checkpoint(e) for e in array(data.get("events")) if isinstance(e, dict)
            ],
            "references": references(shipstation={k: data.get(k) for k in ids}),
        }
    )


def page_url(url: str, page: int) -> str:
    """The resource URL for one page, asking for the largest pages the API serves."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    if not any(k == "pageSize" for k, _ in query):
        query.append(("pageSize", str(PAGE_SIZE)))
    return urlunsplit(parts._replace(query=urlencode([*query, ("page", str(page))])))


def records(page: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = array(page.get("shipments")) or array(page.get("fulfillments"))
    found = found or array(page.get("orders"))
    return [item for item in found if isinstance(item, dict)]


async def every_page(fetcher: Fetcher, url: str) -> list[dict[str, Any]]:
    """Every item of a paged V1 list (``page``, ``pages``), in page order.

    Raises:
        FetchError: a page could not be fetched, or there are more than `MAX_PAGES`.
    """
    first = obj(await fetcher.get_json(page_url(url, 1)))
    pages = first.get("pages")
    pages = pages if isinstance(pages, int) and not isinstance(pages, bool) else 1
    if pages > MAX_PAGES:
        raise FetchError(f"{url[:200]} has {pages} pages, more than the {MAX_PAGES} fetched")
    items = records(first)
    for number in range(2, pages + 1):
        items += records(obj(await fetcher.get_json(page_url(url, number))))
    return items


class ShipStationConnector(BaseConnector):
    name = "shipstation"

    def check_options(self, options: Mapping[str, Any]) -> list[str]:
        problems = [f"unknown option {k!r}" for k in options if k not in ("query", "public_keys")]
        keys = options.get("public_keys", {})
        if not isinstance(keys, dict):
            return [*problems, "public_keys maps a key id to a PEM public key"]
        for key_id, pem in keys.items():
            try:
                _public_key(str(pem))
            except ValueError as exc:
                problems.append(f"public_keys.{key_id}: {exc}")
        return problems

    def verify(self, request: InboundRequest, config: ConnectorConfig, tolerance: int) -> None:
        if header(request, "x-shipengine-rsa-sha256-signature") is not None:
            verify_v2(request, config.options.get("public_keys", {}), tolerance)
            return
        name = str(config.options.get("query", "secret"))
        presented = (request.query.get(name) or "").encode()
        expected = [s.reveal().encode() for s in config.secrets if s.reveal()]
        if not presented or not any(hmac.compare_digest(presented, e) for e in expected):
            raise InvalidSignature(f"the ?{name}= secret in the URL is missing or wrong")

    def dedup_key(self, request: InboundRequest, payload: Any) -> str | None:
        raw = obj(payload)
        if raw.get("data") is not None:  # V2 tracking: a retry resends the same body
            return hashlib.sha256(request.body).hexdigest()
        url, kind = text(raw.get("resource_url")), text(raw.get("resource_type"))
        return f"{kind}:{url}" if url and kind else None

    async def normalize(
        self, request: InboundRequest, payload: Any, context: NormalizeContext
    ) -> list[CanonicalEvent]:
        raw = require_object(payload)
        kind = text(raw.get("resource_type")) or ""
        at = request.received_at
        if kind == "TRACK_EVENT_V2" and isinstance(raw.get("data"), dict):
            update = tracking(raw["data"])
            subject = f"shipment/{update.get('tracking_number')}"
            events = [CanonicalEvent("shipment.tracking_updated", at, update, subject)]
            if update["status"] == "delivered":
                keep = ("tracking_number", "carrier", "shipment_id", "references")
                done = {k: update[k] for k in keep if k in update}
                done["delivered_at"] = update.get("updated_at")
                events.append(CanonicalEvent("order.delivered", at, compact(done), subject))
            return events
        if kind not in SHIPMENTS | ORDERS | FULFILLMENTS:
            return [unmapped(self.name, kind, f"no mapping for ShipStation {kind!r}", raw, at)]
        if context.fetcher is None:
            return [unmapped(self.name, kind, "thin notification and no fetch configured", raw, at)]
        try:
            items = await every_page(context.fetcher, str(raw.get("resource_url") or ""))
        except FetchError as exc:
            # Nothing is half-emitted: one missing page quarantines the whole notification.
            raise Quarantine(f"could not fetch the {kind} resource: {exc.detail}") from None
        if kind in ORDERS:
            return [self._event("order.updated", order_update(o), at, context) for o in items]
        return [self._event("order.shipped", shipped(i), at, context) for i in items]

    @staticmethod
    def _event(
        event_type: str, data: dict[str, Any], at: float, context: NormalizeContext
    ) -> CanonicalEvent:
        return CanonicalEvent(
            event_type, at, data, context.catalog.get(event_type).subject_of(data)
        )


CONNECTOR = ShipStationConnector()
