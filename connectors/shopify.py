"""Shopify: orders, fulfillments, refunds, customers and products from a storefront.

Authenticity: ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the raw body with the app's
client secret. Shopify may keep signing with the old secret for up to an hour after a rotation,
so two secrets can be configured. Events deliveries (``shopify-*`` headers) are read the same way.

The business event comes from the ``X-Shopify-Topic`` header, never from payload state: Shopify's
own sample for ``orders/paid`` says ``"financial_status": "voided"``. Repeats are recognised by
``X-Shopify-Webhook-Id``. Ids above 2^53 stay exact (the body is parsed without floats).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from connectors._common import (
    array,
    check_base64_hmac,
    compact,
    country,
    currency,
    header,
    money,
    obj,
    path,
    references,
    rfc3339,
    text,
    when,
)
from hub.inbound.connector import (
    BaseConnector,
    ConnectorConfig,
    InboundRequest,
    NormalizeContext,
    require_object,
    unmapped,
)
from hub.model import CanonicalEvent

Mapper = Callable[[dict[str, Any]], dict[str, Any]]


def _address(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    found = compact(
        {
            "name": text(raw.get("name")),
            "company": text(raw.get("company")),
            "line1": text(raw.get("address1")),
            "line2": text(raw.get("address2")),
            "city": text(raw.get("city")),
            "region": text(raw.get("province_code")) or text(raw.get("province")),
            "postal_code": text(raw.get("zip")),
            "country": country(raw.get("country_code")) or country(raw.get("country")),
            "phone": text(raw.get("phone")),
        }
    )
    return found or None


def _line(raw: Any) -> dict[str, Any]:
    return compact(
        {
            "line_id": text(raw.get("id")),
            "sku": text(raw.get("sku")),
            "product_id": text(raw.get("product_id")),
            "description": text(raw.get("title")) or text(raw.get("name")),
            "quantity": raw.get("quantity") if isinstance(raw.get("quantity"), int) else None,
            "unit_price": money(raw.get("price")),
            "discount": money(raw.get("total_discount")),
        }
    )


def _lines(raw: Any) -> list[dict[str, Any]]:
    return [_line(item) for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []


def _customer(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    name = " ".join(filter(None, (text(raw.get("first_name")), text(raw.get("last_name")))))
    return compact(
        {"customer_id": text(raw.get("id")), "email": text(raw.get("email")), "name": name}
    )


def _order_refs(order: dict[str, Any], **more: Any) -> dict[str, dict[str, str]]:
    return references(
        shopify={"order_id": order.get("id"), "order_number": order.get("name"), **more}
    )


def order(raw: dict[str, Any]) -> dict[str, Any]:
    """The canonical order fields of a Shopify order."""
    return compact(
        {
            "order_id": text(raw.get("id")),
            "order_number": text(raw.get("name")),
            "placed_at": rfc3339(raw.get("created_at")),
            "customer": _customer(raw.get("customer")),
            "currency": currency(raw.get("currency")),
            "lines": _lines(raw.get("line_items")),
            "subtotal": money(raw.get("subtotal_price")),
            "discount_total": money(raw.get("total_discounts")),
            "tax_total": money(raw.get("total_tax")),
            "shipping_total": money(path(raw, "total_shipping_price_set", "shop_money", "amount")),
            "total": money(raw.get("total_price")),
            "shipping_address": _address(raw.get("shipping_address")),
            "billing_address": _address(raw.get("billing_address")),
            "source_status": text(raw.get("financial_status")),
            "references": _order_refs(raw),
        }
    )


def _changes(raw: Any) -> list[dict[str, Any]]:
    return [
        compact({"line_id": text(c.get("id")), "quantity": c.get("delta")})
        for c in array(raw)
        if isinstance(c, dict) and text(c.get("id")) and _count(c.get("delta"))
    ]


def _count(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def edited(raw: dict[str, Any]) -> dict[str, Any]:
    """``orders/edited``: ``{"order_edit": {...}}`` names the order by ``order_id``; its own
    ``id`` is the edit's, which must not be taken for the order's (correlation breaks)."""
    edit = obj(raw.get("order_edit"))
    if not edit:
        return order(raw)
    lines = obj(edit.get("line_items"))
    order_id = edit.get("order_id")
    return compact(
        {
            "order_id": text(order_id),
            "edit": compact(
                {
                    "edit_id": text(edit.get("id")),
                    "committed_at": rfc3339(edit.get("committed_at") or edit.get("created_at")),
                }
            )
            | {
                "additions": _changes(lines.get("additions")),
                "removals": _changes(lines.get("removals")),
            },
            "references": references(
                shopify={"order_id": order_id, "order_edit_id": edit.get("id")}
            ),
        }
    )


def cancelled(raw: dict[str, Any]) -> dict[str, Any]:
    return order(raw) | compact(
        {"cancelled_at": rfc3339(raw.get("cancelled_at")), "reason": text(raw.get("cancel_reason"))}
    )


def paid(raw: dict[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "order_id": text(raw.get("id")),
            "paid_at": rfc3339(raw.get("processed_at")),
            "amount": money(raw.get("total_price")),
            "currency": currency(raw.get("currency")),
            "method": ", ".join(filter(None, map(text, array(raw.get("payment_gateway_names")))))
            or None,
            "customer": _customer(raw.get("customer")),
            "references": _order_refs(raw),
        }
    )


def fulfilled(raw: dict[str, Any]) -> dict[str, Any]:
    """``orders/fulfilled``: the whole order has shipped."""
    first = path(raw, "fulfillments", 0) or {}
    return compact(
        {
            "order_id": text(raw.get("id")),
            "order_number": text(raw.get("name")),
            "lines": _lines(raw.get("line_items")),
            "carrier": text(first.get("tracking_company")),
            "tracking_number": text(first.get("tracking_number")),
            "shipped_at": rfc3339(first.get("created_at")),
            "ship_to": _address(raw.get("shipping_address")),
            "references": _order_refs(raw),
        }
    )


def fulfillment(raw: dict[str, Any]) -> dict[str, Any]:
    """``fulfillments/create``: one shipment of an order."""
    return compact(
        {
            "order_id": text(raw.get("order_id")),
            "shipment_id": text(raw.get("id")),
            "carrier": text(raw.get("tracking_company")),
            "service": text(raw.get("service")),
            "tracking_number": text(raw.get("tracking_number")),
            "tracking_url": text(raw.get("tracking_url")),
            "shipped_at": rfc3339(raw.get("created_at")),
            "lines": _lines(raw.get("line_items")),
            "ship_to": _address(raw.get("destination")),
            "source_status": text(raw.get("status")),
            "references": references(
                shopify={
                    "order_id": raw.get("order_id"),
                    "fulfillment_id": raw.get("id"),
                    "fulfillment_name": raw.get("name"),
                    "tracking_number": raw.get("tracking_number"),
                }
            ),
        }
    )


def refund(raw: dict[str, Any]) -> dict[str, Any]:
    amounts = [
        money(t.get("amount")) for t in array(raw.get("transactions")) if isinstance(t, dict)
    ]
    total = sum((Decimal(a) for a in amounts if a), Decimal(0)) if amounts else None
    return compact(
        {
            "order_id": text(raw.get("order_id")),
            "refund_id": text(raw.get("id")),
            "refunded_at": rfc3339(raw.get("processed_at") or raw.get("created_at")),
            "amount": money(total),
            "reason": text(raw.get("note")),
            "references": references(
                shopify={"order_id": raw.get("order_id"), "refund_id": raw.get("id")}
            ),
        }
    )


def customer(raw: dict[str, Any]) -> dict[str, Any]:
    found = _customer(raw) or {}
    addresses = [a for a in map(_address, [raw.get("default_address")]) if a]
    return found | compact(
        {
            "first_name": text(raw.get("first_name")),
            "last_name": text(raw.get("last_name")),
            "phone": text(raw.get("phone")),
            "currency": currency(raw.get("currency")),
            "tax_exempt": raw.get("tax_exempt")
            if isinstance(raw.get("tax_exempt"), bool)
            else None,
            "created_at": rfc3339(raw.get("created_at")),
            "updated_at": rfc3339(raw.get("updated_at")),
            "addresses": addresses,
            "references": references(shopify={"customer_id": raw.get("id")}),
        }
    )


def customer_deleted(raw: dict[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "customer_id": text(raw.get("id")),
            "references": references(shopify={"customer_id": raw.get("id")}),
        }
    )


def product(raw: dict[str, Any]) -> dict[str, Any]:
    variant = path(raw, "variants", 0) or {}
    return compact(
        {
            "product_id": text(raw.get("id")),
            "sku": text(variant.get("sku")),
            "title": text(raw.get("title")),
            "price": money(variant.get("price")),
            "barcode": text(variant.get("barcode")),
            "active": raw.get("status") == "active" if "status" in raw else None,
            "references": references(shopify={"product_id": raw.get("id")}),
        }
    )


def order_deleted(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "entity": "order",
        "operation": "deleted",
        "record_id": text(raw.get("id")),
        "source_system": "shopify",
        "source_entity": "Order",
        "record": raw,
        "references": references(shopify={"order_id": raw.get("id")}),
    }


TOPICS: dict[str, tuple[str, Mapper]] = {
    "orders/create": ("order.created", order),
    "orders/updated": ("order.updated", order),
    "orders/edited": ("order.updated", edited),
    "orders/cancelled": ("order.cancelled", cancelled),
    "orders/paid": ("order.paid", paid),
    "orders/fulfilled": ("order.shipped", fulfilled),
    "orders/delete": ("order.deleted", order_deleted),
    "fulfillments/create": ("order.shipped", fulfillment),
    "refunds/create": ("order.refunded", refund),
    "customers/create": ("customer.created", customer),
    "customers/update": ("customer.updated", customer),
    "customers/delete": ("customer.deleted", customer_deleted),
    "products/create": ("product.created", product),
    "products/update": ("product.updated", product),
}


class ShopifyConnector(BaseConnector):
    """Shopify HTTPS webhooks (and Events deliveries)."""

    name = "shopify"

    def verify(self, request: InboundRequest, config: ConnectorConfig, tolerance: int) -> None:
        check_base64_hmac(request, config, "x-shopify-hmac-sha256", "shopify-hmac-sha256")

    def dedup_key(self, request: InboundRequest, payload: Any) -> str | None:
        return header(request, "x-shopify-webhook-id", "shopify-event-id", "x-shopify-event-id")

    async def normalize(
        self, request: InboundRequest, payload: Any, context: NormalizeContext
    ) -> list[CanonicalEvent]:
        raw = require_object(payload)
        topic = header(request, "x-shopify-topic", "shopify-topic") or ""
        shop = header(request, "x-shopify-shop-domain", "shopify-shop-domain")
        at = when(
            header(request, "x-shopify-triggered-at", "shopify-triggered-at"),
            raw.get("updated_at"),
            raw.get("created_at"),
            default=request.received_at,
        )
        if topic not in TOPICS:
            reason = f"no mapping for Shopify topic {topic!r}" if topic else "no X-Shopify-Topic"
            return [unmapped(self.name, topic, reason, raw, at)]
        event_type, mapper = TOPICS[topic]
        data = mapper(raw)
        if shop and "order_id" in data and event_type.startswith("order."):
            data["store"] = shop
        return [
            CanonicalEvent(
                type=event_type,
                time=at,
                data=data,
                subject=context.catalog.get(event_type).subject_of(data),
                store=shop,
            )
        ]


CONNECTOR = ShopifyConnector()
