"""Xero: contacts, invoices and credit notes from the accounting system.

Authenticity: ``x-xero-signature`` is the base64 HMAC-SHA256 of the raw body keyed with the
webhook signing key. Xero first checks the endpoint with an *intent to receive*: a run of
correctly and incorrectly signed posts with no events, which must be answered 200 or 401 with
an empty body, within 5 seconds. Every answer of this connector is therefore bodiless
(`quiet`), and refusals are still kept in the rejection store.

Xero's payloads are thin (a resource id and URL), so each event becomes a generic data event:
``contact.created``, ``invoice.updated``, ``credit_note.created``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from connectors._common import (
    array,
    check_base64_hmac,
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

ENTITIES = {
    "CONTACT": "contact",
    "INVOICE": "invoice",
    "CREDITNOTE": "credit_note",
    "SUBSCRIPTION": "subscription",
}
OPERATIONS = {"CREATE": "created", "UPDATE": "updated", "DELETE": "deleted"}


def data_event(item: dict[str, Any], entity: str, operation: str) -> dict[str, Any]:
    record: dict[str, Any] = item["data"] if isinstance(item.get("data"), dict) else {}
    tenant = text(item.get("tenantId"))
    return {
        "entity": entity,
        "operation": operation,
        "record_id": text(item.get("resourceId")) or "",
        "source_system": "xero",
        "source_entity": text(item.get("eventCategory")),
        "changed_at": rfc3339(item.get("eventDateUtc")),
        "record": {**record, "resourceUrl": item.get("resourceUrl")},
        "references": references(
            xero={f"{entity}_id": item.get("resourceId"), "tenant_id": tenant}
        ),
    }


class XeroConnector(BaseConnector):
    name = "xero"
    quiet = True

    def verify(self, request: InboundRequest, config: ConnectorConfig, tolerance: int) -> None:
        check_base64_hmac(request, config, "x-xero-signature")

    def dedup_key(self, request: InboundRequest, payload: Any) -> str | None:
        # Xero numbers each app's events; a redelivery repeats the same range and body.
        if isinstance(payload, dict) and payload.get("events"):
            return hashlib.sha256(request.body).hexdigest()
        return None

    async def normalize(
        self, request: InboundRequest, payload: Any, context: NormalizeContext
    ) -> list[CanonicalEvent]:
        raw = require_object(payload)
        events = []
        for item in array(raw.get("events")):
            if not isinstance(item, dict):
                continue
            category = str(item.get("eventCategory") or "").upper()
            kind = str(item.get("eventType") or "").upper()
            at = when(item.get("eventDateUtc"), default=request.received_at)
            if category not in ENTITIES or kind not in OPERATIONS or not item.get("resourceId"):
                topic = f"{category}.{kind}"
                events.append(unmapped(self.name, topic, f"no mapping for Xero {topic}", item, at))
                continue
            entity, operation = ENTITIES[category], OPERATIONS[kind]
            data = data_event(item, entity, operation)
            subject = f"{entity}/{data['record_id']}"
            events.append(CanonicalEvent(f"{entity}.{operation}", at, data, subject))
        return events  # no events: the intent-to-receive check, acknowledged and ignored


CONNECTOR = XeroConnector()
