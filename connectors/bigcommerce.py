"""BigCommerce: orders, shipments, refunds, transactions, customers and products.

Authenticity, per ``options.auth``:

* ``standard_webhooks`` (the default): BigCommerce signs with Standard Webhooks, keyed with the
  raw bytes of the app's client secret (its docs base64-encode the secret before handing it to
  the library, which decodes it again). Timestamps outside the tolerance are refused.
* ``header``: the custom header set on the hook (``options.header``, e.g. ``x-bc-token``) must
  carry one of the configured secrets.

Payloads are thin (``{"type": "order", "id": 250}``), and ``created_at`` may be missing. With
``fetch`` configured (``base_url: https://api.bigcommerce.com`` and an ``X-Auth-Token`` header),
orders are completed from ``GET /stores/{store_hash}/v2/orders/{id}``; if that fails, the thin
event is stored anyway. Repeats are recognised by ``hash``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from connectors._common import (
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
from connectors.standard import decoded_keys, verify_standard
from hub.config import Secret
from hub.errors import InvalidSignature
from hub.inbound.connector import (
    BaseConnector,
    ConnectorConfig,
    InboundRequest,
    NormalizeContext,
    hmac_matches,
    require_object,
    unmapped,
)
from hub.inbound.fetcher import Fetcher, FetchError
from hub.model import CanonicalEvent

log = logging.getLogger("hub.connectors.bigcommerce")

STATUSES = {
    0: "Incomplete", 1: "Pending", 2: "Shipped", 3: "Partially Shipped", 4: "Refunded",
    5: "Cancelled", 6: "Declined", 7: "Awaiting Payment", 8: "Awaiting Pickup",
    9: "Awaiting Shipment", 10: "Completed", 11: "Awaiting Fulfillment",
    12: "Manual Verification Required", 13: "Disputed", 14: "Partially Refunded",
}  # fmt: skip
CANCELLED = 5
_CHANNEL = re.compile(r"^store/channel/(\d+)/(order/.+)$")


def scope_of(raw: Mapping[str, Any]) -> tuple[str, str | None]:
    """The scope without its channel part, and the channel id if there was one."""
    scope = str(raw.get("scope") or "")
    match = _CHANNEL.match(scope)
    return (f"store/{match.group(2)}", match.group(1)) if match else (scope, None)


def store_of(raw: Mapping[str, Any]) -> str | None:
    producer = text(raw.get("producer")) or ""
    store_hash = producer.removeprefix("stores/") if producer.startswith("stores/") else None
    if store_hash and "{" not in store_hash:  # the docs' samples say "stores/{store_hash}"
        return store_hash
    return text(raw.get("store_id"))


def order_refs(raw: Mapping[str, Any], order_id: str | None, **more: Any) -> dict[str, Any]:
    return references(bigcommerce={"order_id": order_id, "store_id": raw.get("store_id"), **more})


def order_event(
    raw: Mapping[str, Any], scope: str, channel: str | None
) -> tuple[str, dict[str, Any]]:
    data = obj(raw.get("data"))
    order_id = text(data.get("id")) if data.get("type") == "order" else None
    order_id = order_id or text(data.get("order_id")) or text(data.get("orderId"))
    refs = order_refs(raw, order_id, channel_id=channel)
    status = path(data, "status", "new_status_id")
    if scope == "store/order/statusUpdated":
        previous = path(data, "status", "previous_status_id")
        fields = compact(
            {
                "order_id": order_id,
                "source_status": STATUSES.get(status) if isinstance(status, int) else None,
                "previous_status": STATUSES.get(previous) if isinstance(previous, int) else None,
                "references": refs,
            }
        )
        return ("order.cancelled" if status == CANCELLED else "order.updated"), fields
    if scope == "store/order/refund/created":
        refund_id = path(data, "refund", "refund_id")
        return "order.refunded", compact(
            {"order_id": order_id, "refund_id": text(refund_id),
             "references": order_refs(raw, order_id, channel_id=channel, refund_id=refund_id)}
        )  # fmt: skip
    kind = {"store/order/created": "order.created", "store/order/archived": "order.updated"}
    fields = compact({"order_id": order_id, "references": refs})
    if scope == "store/order/archived":
        fields["source_status"] = "Archived"
    return kind.get(scope, "order.updated"), fields


def transaction_event(raw: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    data = obj(raw.get("data"))
    order_id = text(data.get("order_id"))
    refs = order_refs(raw, order_id, transaction_id=data.get("transaction_id"))
    captured = (
        data.get("transaction_type") in ("capture", "purchase")
        and path(data, "result", "type") == "success"
    )
    if raw.get("scope") == "store/order/transaction/created" and captured:
        return "order.paid", compact(
            {"order_id": order_id, "payment_id": text(data.get("transaction_id")),
             "method": text(data.get("transaction_type")), "references": refs}
        )  # fmt: skip
    operation = "created" if str(raw.get("scope")).endswith("created") else "updated"
    return f"transaction.{operation}", {
        "entity": "transaction", "operation": operation,
        "record_id": text(data.get("transaction_id")) or "", "source_system": "bigcommerce",
        "source_entity": "transaction", "record": dict(data), "references": refs,
    }  # fmt: skip


def plain_event(raw: Mapping[str, Any], scope: str) -> tuple[str, dict[str, Any]] | None:
    data = obj(raw.get("data"))
    entity_id = text(data.get("id"))
    _, noun, verb = [*scope.split("/"), "", ""][:3]
    operation = {"created": "created", "updated": "updated", "deleted": "deleted"}.get(verb)
    if entity_id is None or operation is None:
        return None
    if noun == "customer":
        refs = references(bigcommerce={"customer_id": entity_id, "store_id": raw.get("store_id")})
        return f"customer.{operation}", {"customer_id": entity_id, "references": refs}
    if noun == "product" and operation != "deleted":
        refs = references(bigcommerce={"product_id": entity_id, "store_id": raw.get("store_id")})
        return f"product.{operation}", {"product_id": entity_id, "references": refs}
    if noun == "shipment":
        order_id = text(data.get("orderId"))
        refs = order_refs(raw, order_id, shipment_id=entity_id)
        if operation == "created" and order_id:
            return "order.shipped", {"order_id": order_id, "shipment_id": entity_id,
                                     "references": refs}  # fmt: skip
        return f"shipment.{operation}", {
            "entity": "shipment", "operation": operation, "record_id": entity_id,
            "source_system": "bigcommerce", "source_entity": "shipment", "record": dict(data),
            "references": refs,
        }  # fmt: skip
    return None


def _address(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        return {}
    name = " ".join(filter(None, (text(raw.get("first_name")), text(raw.get("last_name")))))
    return compact(
        {
            "name": name,
            "company": text(raw.get("company")),
            "line1": text(raw.get("street_1")),
            "line2": text(raw.get("street_2")),
            "city": text(raw.get("city")),
            "region": text(raw.get("state")),
            "postal_code": text(raw.get("zip")),
            "country": country(raw.get("country_iso2")),
            "phone": text(raw.get("phone")),
        }
    )


def full_order(order: Mapping[str, Any]) -> dict[str, Any]:
    """Fields of a fetched ``/v2/orders/{id}`` resource."""
    customer_id = order.get("customer_id") or None  # 0 means a guest checkout
    return compact(
        {
            "order_number": text(order.get("id")),
            "placed_at": rfc3339(order.get("date_created")),
            "currency": currency(order.get("currency_code")),
            "subtotal": money(order.get("subtotal_ex_tax")),
            "tax_total": money(order.get("total_tax")),
            "shipping_total": money(order.get("shipping_cost_ex_tax")),
            "discount_total": money(order.get("discount_amount")),
            "total": money(order.get("total_inc_tax")),
            "source_status": text(order.get("status")),
            "customer": compact(
                {
                    "customer_id": text(customer_id),
                    "email": text(path(order, "billing_address", "email")),
                }
            ),
            "billing_address": _address(order.get("billing_address")),
        }
    )


async def completed(fetcher: Fetcher, store: str | None, data: dict[str, Any]) -> dict[str, Any]:
    base = fetcher.settings.base_url or ""
    url = f"{base}/stores/{store}/v2/orders/{data['order_id']}"
    try:
        order = await fetcher.get_json(url)
    except FetchError as exc:
        log.warning("bigcommerce order %s stays thin: %s", data["order_id"], exc.detail)
        return data
    return full_order(order) | data if isinstance(order, dict) else data


class BigCommerceConnector(BaseConnector):
    name = "bigcommerce"

    def check_options(self, options: Mapping[str, Any]) -> list[str]:
        problems = [f"unknown option {k!r}" for k in options if k not in ("auth", "header")]
        auth = options.get("auth", "standard_webhooks")
        if auth not in ("standard_webhooks", "header"):
            problems.append("auth is standard_webhooks or header")
        if auth == "header" and not isinstance(options.get("header"), str):
            problems.append("auth: header needs 'header', the custom header's name")
        return problems

    def verify(self, request: InboundRequest, config: ConnectorConfig, tolerance: int) -> None:
        if config.options.get("auth", "standard_webhooks") == "header":
            name = str(config.options["header"]).lower()
            presented = (header(request, name) or "").encode()
            expected = [s.reveal().encode() for s in config.secrets if s.reveal()]
            if not presented or not hmac_matches(presented, expected):
                raise InvalidSignature(f"the {name} header does not carry the configured secret")
            return
        verify_standard(request, raw_keys(config.secrets), tolerance)

    def dedup_key(self, request: InboundRequest, payload: Any) -> str | None:
        return text(payload.get("hash")) if isinstance(payload, dict) else None

    async def normalize(
        self, request: InboundRequest, payload: Any, context: NormalizeContext
    ) -> list[CanonicalEvent]:
        raw = require_object(payload)
        scope, channel = scope_of(raw)
        at = when(raw.get("created_at"), default=request.received_at)
        store = store_of(raw)
        found: tuple[str, dict[str, Any]] | None
        if scope.startswith("store/order/transaction/"):
            found = transaction_event(raw)
        elif scope.startswith("store/order/") and not scope.startswith("store/order/message"):
            found = order_event(raw, scope, channel)
        else:
            found = plain_event(raw, scope)
        if found is None:
            return [unmapped(self.name, scope, f"no mapping for BigCommerce {scope!r}", raw, at)]
        event_type, data = found
        problems = context.catalog.violations(event_type, data)
        if problems:  # an authentic hook without the ids its scope promises: keep it whole
            reason = f"{scope} lacks what {event_type} needs: {problems[0].message}"
            return [unmapped(self.name, scope, reason, raw, at)]
        if event_type in ("order.created", "order.updated") and context.fetcher and store:
            data = await completed(context.fetcher, store, data)
        subject = context.catalog.get(event_type).subject_of(data)
        return [CanonicalEvent(event_type, at, data, subject, store=store)]


def raw_keys(secrets: tuple[Secret, ...]) -> list[bytes]:
    """BigCommerce keys are the client secret's own bytes; a whsec_ key is decoded instead."""
    keys = [
        s.reveal().encode() for s in secrets if s.reveal() and not s.reveal().startswith("whsec_")
    ]
    return keys + list(decoded_keys(tuple(s for s in secrets if s.reveal().startswith("whsec_"))))


CONNECTOR = BigCommerceConnector()
