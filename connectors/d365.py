"""Dynamics 365 Finance & Operations business events.

Authenticity: D365's HTTPS endpoint signs nothing, so the key travels in the URL or a header:
``?code=`` or ``x-functions-key`` by default (``options.query`` / ``options.header`` rename
them), compared in constant time with the configured secrets. Through Azure Event Grid, the body
is an array of Event Grid events whose ``data`` is the business event, and Event Grid's
subscription validation is answered by echoing its code.

``SalesInvoicePostedBusinessEvent`` and its free-text twin map to ``order.invoiced``,
``PurchaseOrderConfirmedBusinessEvent`` to ``purchase_order.confirmed``. Every other business
event is kept as ``erp.business_event`` with all its fields. The test message sent when an
endpoint is activated (``BusinessEventsTestEndpointContract``) is acknowledged and ignored.
Repeats are recognised by ``EventId`` (or ``ControlNumber``).

``options.reference_fields`` maps contract fields to references, for contracts extended with
another system's ids: ``{CustomerRef: shopify.order_number}``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from connectors._common import (
    SHARED_KEY_OPTIONS,
    array,
    check_shared_key,
    compact,
    currency,
    day,
    event_grid_validation,
    money,
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
    Reply,
)
from hub.model import CanonicalEvent

TEST_EVENT = "BusinessEventsTestEndpointContract"
ENVELOPE = {
    "BusinessEventId", "BusinessEventLegalEntity", "ContextRecordSubject", "ControlNumber",
    "EventId", "EventTime", "EventTimeIso8601", "InitiatingUserAADObjectId", "MajorVersion",
    "MinorVersion", "ParentContextRecordSubjects",
}  # fmt: skip


def legal_entity(raw: Mapping[str, Any]) -> str | None:
    found = text(raw.get("LegalEntity")) or text(raw.get("BusinessEventLegalEntity"))
    return found.upper() if found else None  # D365 compares legal entities case-blind


def extra_references(raw: Mapping[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
    """References named by the contract's ExternalReferences and by `reference_fields`."""
    found: dict[str, dict[str, Any]] = {}
    for item in array(raw.get("ExternalReferences")):
        if isinstance(item, dict) and text(item.get("SystemId")) and text(item.get("ExternalId")):
            found.setdefault(str(item["SystemId"]).lower(), {})["id"] = item["ExternalId"]
    for field_name, target in fields.items():
        system, _, kind = target.partition(".")
        if text(raw.get(field_name)):
            found.setdefault(system, {})[kind] = raw[field_name]
    return found


def with_own(extra: dict[str, dict[str, Any]], own: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The references a contract declares, with D365's own ids added to (and winning over)
    whatever it declares for ``d365`` itself (a ``SystemId`` of D365, a ``reference_fields``
    target such as ``d365.customer_ref``)."""
    mine = {kind: value for kind, value in own.items() if value is not None}
    return extra | {"d365": extra.get("d365", {}) | mine}


def invoice(raw: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "invoice_id": text(raw.get("InvoiceId")),
            "order_id": text(raw.get("SalesOrderId")),
            "invoice_date": day(raw.get("InvoiceDate")),
            "due_date": day(raw.get("InvoiceDueDate")),
            "customer": compact({"customer_id": text(raw.get("InvoiceAccount"))}),
            "total": money(raw.get("InvoiceAmountInAccountingCurrency")),
            "tax_total": money(raw.get("InvoiceTaxAmount")),
            "currency": currency(raw.get("CurrencyCode") or raw.get("TransactionCurrencyCode")),
            "company": legal_entity(raw),
        }
    )


def purchase_order(raw: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "purchase_order_id": text(raw.get("PurchaseOrderNumber")),
            "vendor_id": text(raw.get("VendorAccount")),
            "order_date": day(raw.get("PurchaseOrderDate")),
            "currency": currency(raw.get("TransactionCurrencyCode")),
            "total": money(raw.get("TransactionCurrencyAmount")),
            "journal": text(raw.get("PurchaseJournal")),
            "purchase_type": text(raw.get("PurchaseType")),
            "company": legal_entity(raw),
        }
    )


def business_event(raw: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "business_event_id": text(raw.get("BusinessEventId")),
            "event_id": text(raw.get("EventId")),
            "control_number": text(raw.get("ControlNumber")),
            "legal_entity": legal_entity(raw),
            "event_time": rfc3339(raw.get("EventTimeIso8601")) or rfc3339(raw.get("EventTime")),
            "company": legal_entity(raw),
        }
    ) | {"fields": {k: v for k, v in raw.items() if k not in ENVELOPE}}


EventMapping = tuple[str, Callable[[Mapping[str, Any]], dict[str, Any]], dict[str, str]]
MAPPINGS: dict[str, EventMapping] = {
    "SalesInvoicePostedBusinessEvent": (
        "order.invoiced", invoice,
        {"invoice_id": "InvoiceId", "sales_order_id": "SalesOrderId",
         "customer_account": "InvoiceAccount"},
    ),
    "CustFreeTextInvoicePostedBusinessEvent": (
        "order.invoiced", invoice,
        {"invoice_id": "InvoiceId", "customer_account": "InvoiceAccount"},
    ),
    "PurchaseOrderConfirmedBusinessEvent": (
        "purchase_order.confirmed", purchase_order,
        {"purchase_order_id": "PurchaseOrderNumber", "vendor_account": "VendorAccount"},
    ),
}  # fmt: skip
GENERIC: EventMapping = ("erp.business_event", business_event, {})


def business_events(payload: Any) -> list[dict[str, Any]]:
    """The business events of a direct post (one object) or an Event Grid array.

    Raises:
        SchemaViolation: neither shape.
    """
    if isinstance(payload, dict):
        return [payload]
    if isinstance(payload, list):
        found = []
        for item in payload:
            data = item.get("data") if isinstance(item, dict) else None
            if isinstance(data, str):  # some routes carry the event as a JSON string
                try:
                    data = json.loads(data)
                except ValueError:
                    data = None
            if isinstance(data, dict):
                found.append(data)
        return found
    raise SchemaViolation(
        "expected a business event object or an Event Grid array",
        [Violation("", "neither shape")],
    )


class D365Connector(BaseConnector):
    name = "d365"

    def check_options(self, options: Mapping[str, Any]) -> list[str]:
        known = (*SHARED_KEY_OPTIONS, "reference_fields")
        problems = [f"unknown option {k!r}" for k in options if k not in known]
        fields = options.get("reference_fields", {})
        if not isinstance(fields, dict) or not all(
            isinstance(v, str) and "." in v for v in fields.values()
        ):
            problems.append("reference_fields maps a contract field to 'system.kind'")
        return problems

    def verify(self, request: InboundRequest, config: ConnectorConfig, tolerance: int) -> None:
        check_shared_key(request, config)

    def handshake(self, request: InboundRequest, payload: Any) -> Reply | None:
        return event_grid_validation(request, payload)

    def dedup_key(self, request: InboundRequest, payload: Any) -> str | None:
        try:
            found = business_events(payload)
        except SchemaViolation:
            return None
        keys = [text(e.get("EventId")) or text(e.get("ControlNumber")) for e in found]
        if len(keys) == 1:
            return keys[0]
        if keys and all(keys):
            return hashlib.sha256("\n".join(sorted(map(str, keys))).encode()).hexdigest()
        return None

    async def normalize(
        self, request: InboundRequest, payload: Any, context: NormalizeContext
    ) -> list[CanonicalEvent]:
        fields = context.config.options.get("reference_fields", {})
        events = []
        for raw in business_events(payload):
            event_id = text(raw.get("BusinessEventId")) or ""
            if event_id == TEST_EVENT:
                continue  # the activation test: acknowledged, never fanned out
            at = when(
                raw.get("EventTimeIso8601"), raw.get("EventTime"), default=request.received_at
            )
            event_type, mapper, keys = MAPPINGS.get(
                event_id, ("erp.business_event", business_event, {})
            )
            data = mapper(raw)
            own = {kind: raw.get(field_name) for kind, field_name in keys.items()}
            own |= {"legal_entity": legal_entity(raw), "control_number": raw.get("ControlNumber")}
            data["references"] = references(**with_own(extra_references(raw, fields), own))
            subject = context.catalog.get(event_type).subject_of(data)
            events.append(CanonicalEvent(event_type, at, data, subject, legal_entity(raw)))
        return events


CONNECTOR = D365Connector()
