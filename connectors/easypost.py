"""EasyPost: carrier tracking updates.

Authenticity: ``X-Hmac-Signature: hmac-sha256-hex=<hex>``, the HMAC-SHA256 of the raw body keyed
with the webhook secret after Unicode NFKD normalization (EasyPost's own client libraries
normalize it, so ``sécret`` typed either way signs the same). There is no timestamp to check.

``tracker.created`` / ``tracker.updated`` become ``shipment.tracking_updated``; a tracker that
reaches ``delivered`` also yields ``order.delivered``. Other events are kept as unmapped.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from connectors._common import (
    array,
    compact,
    header,
    hmac_sha256,
    path,
    references,
    rfc3339,
    text,
    when,
)
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
from hub.model import CanonicalEvent

PREFIX = "hmac-sha256-hex="
STATUSES = {
    "unknown", "pre_transit", "in_transit", "out_for_delivery", "delivered",
    "available_for_pickup", "return_to_sender", "failure", "cancelled", "error",
}  # fmt: skip


def tracking(tracker: dict[str, Any], previous: Any) -> dict[str, Any]:
    """The canonical tracking update of an EasyPost Tracker object."""
    status = text(tracker.get("status")) or "unknown"
    checkpoints = [
        compact(
            {
                "status": text(d.get("status")),
                "message": text(d.get("message")),
                "at": rfc3339(d.get("datetime")),
                "city": text(path(d, "tracking_location", "city")),
                "region": text(path(d, "tracking_location", "state")),
                "country": text(path(d, "tracking_location", "country")),
            }
        )
        for d in array(tracker.get("tracking_details"))
        if isinstance(d, dict)
    ]
    return compact(
        {
            "tracking_number": text(tracker.get("tracking_code")),
            "status": status if status in STATUSES else "unknown",
            "previous_status": text(path(previous, "status")),
            "status_detail": text(tracker.get("status_detail")),
            "carrier": text(tracker.get("carrier")),
            "shipment_id": text(tracker.get("shipment_id")),
            "estimated_delivery": rfc3339(tracker.get("est_delivery_date")),
            "updated_at": rfc3339(tracker.get("updated_at")),
            "tracking_url": text(tracker.get("public_url")),
            "checkpoints": checkpoints,
            "references": references(
                easypost={
                    "tracker_id": tracker.get("id"),
                    "shipment_id": tracker.get("shipment_id"),
                    "tracking_number": tracker.get("tracking_code"),
                }
            ),
        }
    )


def delivered(update: dict[str, Any], tracker: dict[str, Any]) -> dict[str, Any]:
    details = [d for d in array(tracker.get("tracking_details")) if isinstance(d, dict)]
    at = next(
        (d.get("datetime") for d in reversed(details) if d.get("status") == "delivered"), None
    )
    keep = ("tracking_number", "carrier", "shipment_id", "tracking_url", "references")
    return {k: update[k] for k in keep if k in update} | compact(
        {"delivered_at": rfc3339(at) or update.get("updated_at")}
    )


class EasyPostConnector(BaseConnector):
    name = "easypost"

    def verify(self, request: InboundRequest, config: ConnectorConfig, tolerance: int) -> None:
        presented = header(request, "x-hmac-signature") or ""
        if not presented.startswith(PREFIX):
            raise InvalidSignature("X-Hmac-Signature header is missing or not hmac-sha256-hex=")
        digest = presented[len(PREFIX) :].strip().lower().encode()
        keys = [unicodedata.normalize("NFKD", s.reveal()).encode() for s in config.secrets]
        if not any(s.reveal() for s in config.secrets):
            raise InvalidSignature("connector 'easypost' has no secret configured")
        if not hmac_matches(digest, [hmac_sha256(k, request.body).hex().encode() for k in keys]):
            raise InvalidSignature("X-Hmac-Signature does not match the body")

    def dedup_key(self, request: InboundRequest, payload: Any) -> str | None:
        return text(payload.get("id")) if isinstance(payload, dict) else None

    async def normalize(
        self, request: InboundRequest, payload: Any, context: NormalizeContext
    ) -> list[CanonicalEvent]:
        raw = require_object(payload)
        topic = text(raw.get("description")) or ""
        tracker = raw.get("result")
        at = when(raw.get("updated_at"), raw.get("created_at"), default=request.received_at)
        if topic not in ("tracker.created", "tracker.updated") or not isinstance(tracker, dict):
            return [unmapped(self.name, topic, f"no mapping for EasyPost {topic!r}", raw, at)]
        update = tracking(tracker, raw.get("previous_attributes"))
        subject = f"shipment/{update.get('tracking_number')}"
        events = [CanonicalEvent("shipment.tracking_updated", at, update, subject)]
        was = path(raw, "previous_attributes", "status")
        if update["status"] == "delivered" and was != "delivered":
            events.append(
                CanonicalEvent("order.delivered", at, delivered(update, tracker), subject)
            )
        return events


CONNECTOR = EasyPostConnector()
