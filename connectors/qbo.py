"""QuickBooks Online: accounting entities in both of Intuit's webhook formats.

Authenticity: ``intuit-signature`` is the base64 HMAC-SHA256 of the raw body keyed with the app's
webhook verifier token. Intuit sends either the legacy ``{"eventNotifications": [...]}`` or,
since the 2026 migration, a JSON array of CloudEvents (``qbo.<entity>.<operation>.v1``), which
may span several companies (realms) and may lack ``data``.

Customers, vendors and items map to their business events, a created invoice to
``order.invoiced`` and a created payment to ``order.paid``; every other entity becomes a generic
data event. Payloads are thin: with ``fetch`` configured (a base URL and an ``Authorization``
header), a payment is completed from the API, with its amount and the invoices it pays.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

from connectors._common import (
    array,
    check_base64_hmac,
    compact,
    currency,
    money,
    path,
    references,
    rfc3339,
    text,
    when,
)
from hub.errors import SchemaViolation, Violation
from hub.inbound.connector import (
    BaseConnector,
    ConnectorConfig,
    InboundRequest,
    NormalizeContext,
    unmapped,
)
from hub.inbound.fetcher import Fetcher, FetchError
from hub.model import CanonicalEvent

log = logging.getLogger("hub.connectors.qbo")

OPERATIONS = {
    "create": "created", "created": "created", "update": "updated", "updated": "updated",
    "delete": "deleted", "deleted": "deleted", "merge": "merged", "merged": "merged",
    "void": "voided", "voided": "voided",
}  # fmt: skip
# (entity, operation) -> business event; with their key field
NAMED = {
    ("customer", "created"): ("customer.created", "customer_id"),
    ("customer", "updated"): ("customer.updated", "customer_id"),
    ("customer", "deleted"): ("customer.deleted", "customer_id"),
    ("customer", "merged"): ("customer.updated", "customer_id"),
    ("vendor", "created"): ("vendor.created", "vendor_id"),
    ("vendor", "updated"): ("vendor.updated", "vendor_id"),
    ("vendor", "merged"): ("vendor.updated", "vendor_id"),
    ("item", "created"): ("product.created", "product_id"),
    ("item", "updated"): ("product.updated", "product_id"),
    ("invoice", "created"): ("order.invoiced", "invoice_id"),
    ("payment", "created"): ("order.paid", "payment_id"),
}
_CLOUDEVENT_TYPE = re.compile(r"^qbo\.([a-z0-9]+)\.([a-z]+)\.v\d+$")


class Change:
    """One entity change, from either format."""

    def __init__(self, entity: str, operation: str, entity_id: str, realm: str, at: Any, raw: Any):
        self.entity, self.operation, self.entity_id = entity, operation, entity_id
        self.realm, self.at, self.raw = realm, at, raw


def changes(payload: Any) -> list[Change]:
    """Every change in a legacy or CloudEvents payload.

    Raises:
        SchemaViolation: the body is neither format.
    """
    if isinstance(payload, list):
        return [_from_cloudevent(item) for item in payload if isinstance(item, dict)]
    notifications = payload.get("eventNotifications") if isinstance(payload, dict) else None
    if not isinstance(notifications, list):
        raise SchemaViolation(
            "expected eventNotifications or an array of CloudEvents",
            [Violation("", "neither QuickBooks webhook format")],
        )
    found = []
    for note in notifications:
        for entity in array(path(note, "dataChangeEvent", "entities")):
            if isinstance(entity, dict):
                found.append(
                    Change(
                        str(entity.get("name") or "").lower(),
                        str(entity.get("operation") or "").lower(),
                        text(entity.get("id")) or "",
                        text(path(note, "realmId")) or "",
                        entity.get("lastUpdated"),
                        entity,
                    )
                )
    return found


def _from_cloudevent(item: dict[str, Any]) -> Change:
    match = _CLOUDEVENT_TYPE.match(str(item.get("type") or ""))
    entity, operation = match.groups() if match else (str(item.get("type")), "")
    return Change(
        entity,
        operation,
        text(item.get("intuitentityid")) or "",
        text(item.get("intuitaccountid")) or "",
        item.get("time"),
        item,
    )


def _record(change: Change) -> dict[str, Any]:
    data = change.raw.get("data") if "specversion" in change.raw else None
    return data if isinstance(data, dict) else {}


def named(change: Change, event_type: str, key: str) -> dict[str, Any]:
    extra = compact({"source_status": change.operation if change.operation == "merged" else None})
    merged = text(_record(change).get("deletedid"))
    refs = {key: change.entity_id, "realm_id": change.realm, "merged_from_id": merged}
    return {key: change.entity_id, **extra, "references": references(qbo=refs)}


def generic(change: Change, operation: str) -> dict[str, Any]:
    return compact(
        {
            "entity": change.entity,
            "operation": operation,
            "record_id": change.entity_id,
            "source_system": "qbo",
            "source_entity": change.entity,
            "changed_at": rfc3339(change.at),
            "record": _record(change),
            "source_status": change.operation if operation != change.operation else None,
            "references": references(
                qbo={f"{change.entity}_id": change.entity_id, "realm_id": change.realm}
            ),
        }
    ) | {"record": _record(change)}


async def completed_payment(fetcher: Fetcher, change: Change, data: dict[str, Any]) -> None:
    """Fill a payment's amount, currency, customer and invoices in from the API, in place."""
    base = fetcher.settings.base_url or ""
    url = f"{base}/v3/company/{change.realm}/payment/{change.entity_id}"
    try:
        payment = path(await fetcher.get_json(url), "Payment") or {}
    except FetchError as exc:
        log.warning("qbo payment %s stays thin: %s", change.entity_id, exc.detail)
        return
    linked = [
        t.get("TxnId")
        for line in array(payment.get("Line"))
        for t in array(path(line, "LinkedTxn"))
        if isinstance(t, dict) and t.get("TxnType") == "Invoice"
    ]
    data.update(
        compact(
            {
                "amount": money(payment.get("TotalAmt")),
                "currency": currency(path(payment, "CurrencyRef", "value")),
                "paid_at": rfc3339(payment.get("TxnDate")),
                "invoice_id": text(linked[0]) if linked else None,
                "customer": compact({"customer_id": text(path(payment, "CustomerRef", "value"))}),
            }
        )
    )
    data["references"]["qbo"].update(
        {k: v for k, v in (("invoice_id", text(linked[0]) if linked else None),
                           ("payment_ref", text(payment.get("PaymentRefNum")))) if v}
    )  # fmt: skip


class QuickBooksConnector(BaseConnector):
    name = "qbo"

    def verify(self, request: InboundRequest, config: ConnectorConfig, tolerance: int) -> None:
        check_base64_hmac(request, config, "intuit-signature")

    def dedup_key(self, request: InboundRequest, payload: Any) -> str | None:
        if isinstance(payload, list):
            ids = sorted(str(i.get("id")) for i in payload if isinstance(i, dict))
            return hashlib.sha256("\n".join(ids).encode()).hexdigest() if ids else None
        # The legacy format has no id; Intuit's retries resend the same bytes.
        return hashlib.sha256(request.body).hexdigest()

    async def normalize(
        self, request: InboundRequest, payload: Any, context: NormalizeContext
    ) -> list[CanonicalEvent]:
        events = []
        for change in changes(payload):
            at = when(change.at, default=request.received_at)
            operation = OPERATIONS.get(change.operation)
            if not change.entity_id or operation is None:
                topic = f"{change.entity}.{change.operation}"
                reason = f"no mapping for QuickBooks {topic}"
                events.append(unmapped(self.name, topic, reason, change.raw, at))
                continue
            change.operation = operation
            if (change.entity, operation) in NAMED:
                event_type, key = NAMED[(change.entity, operation)]
                data = named(change, event_type, key)
                if event_type == "order.paid" and context.fetcher is not None:
                    await completed_payment(context.fetcher, change, data)
            else:
                generic_op = "updated" if operation in ("merged", "voided") else operation
                event_type = f"{change.entity}.{generic_op}"
                data = generic(change, generic_op)
            subject = f"{change.entity}/{change.entity_id}"
            events.append(CanonicalEvent(event_type, at, data, subject))
        return events


CONNECTOR = QuickBooksConnector()
