"""Ingest: from a raw inbound request to committed events and deliveries.

The order of checks is the order of cost and of trust: the connector must exist, the body must
be JSON-typed, authentic (checked on the raw bytes, before parsing anything an attacker sent),
parseable, new, and valid. The answer is sent only after the commit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from hub.catalog import Catalog
from hub.config import Secret
from hub.errors import (
    Conflict,
    NotFound,
    RequestError,
    SchemaViolation,
    UnknownConnector,
    UnsupportedMediaType,
)
from hub.ids import new_id
from hub.inbound.connector import (
    Connector,
    ConnectorConfig,
    InboundRequest,
    NormalizeContext,
    Quarantine,
    Reply,
)
from hub.inbound.fetcher import Fetcher
from hub.inbound.policy import assign
from hub.jsontext import dump_json
from hub.masking import MASKED, sensitive
from hub.model import CanonicalEvent, Delivery, DeliveryStatus, Event, Receipt, ReceiptStatus
from hub.model import Rejection as RejectionRecord
from hub.observe.metrics import Metrics
from hub.outbound.subscriptions import SubscriptionRegistry
from hub.store.base import Store

log = logging.getLogger("hub.ingest")

REDACTED = MASKED
HUB_SOURCE = "hub"  # the connector name of the hub's own operational events


def redact_headers(headers: Mapping[str, str], secrets: Sequence[Secret]) -> dict[str, str]:
    """Headers fit to keep: credentials masked by name, configured secrets cut out of values.

    Every receipt keeps its headers, so this is on the ingest path: one look for each secret
    in all values at once, and the name verdicts cached (names repeat from request to request).
    """
    joined = "\n".join(headers.values())
    present = [s for s in secrets if s.reveal() and s.reveal() in joined]
    return {
        name: REDACTED if sensitive(name) else redact_text(value, present) if present else value
        for name, value in headers.items()
    }


def _redact_query(query: Mapping[str, str]) -> dict[str, str]:
    return {k: REDACTED if sensitive(k) else v for k, v in query.items()}


def redact_text(text: str, secrets: Sequence[Secret]) -> str:
    for secret in secrets:
        if secret.reveal():
            text = text.replace(secret.reveal(), REDACTED)
    return text


def redact_body(body: bytes, secrets: Sequence[Secret], cap: int) -> bytes:
    for secret in secrets:
        if secret.reveal():
            body = body.replace(secret.reveal().encode(), REDACTED.encode())
    return body[:cap]


@dataclass(frozen=True)
class IngestLimits:
    timestamp_tolerance: int = 300
    rejection_body_cap: int = 64 * 1024
    rejections_max: int = 10_000


@dataclass(frozen=True)
class IngestOutcome:
    """What became of an inbound request that was not refused.

    Attributes:
        reply: a connector's handshake answer, sent as is (nothing was stored).
    """

    event_ids: list[str]
    duplicate: bool = False
    status: ReceiptStatus = ReceiptStatus.PROCESSED
    receipt_id: str | None = None
    reason: str | None = None
    reply: Reply | None = None
    types: tuple[str, ...] = ()  # of the events committed


class Ingestor:
    """Receives inbound webhooks for every connector."""

    def __init__(
        self,
        connectors: Mapping[str, Connector],
        configs: Mapping[str, ConnectorConfig],
        catalog: Catalog,
        registry: SubscriptionRegistry,
        store: Store,
        limits: IngestLimits,
        on_commit: Callable[[], None],
        redact: Sequence[Secret] = (),
        fetchers: Mapping[str, Fetcher] | None = None,
        on_events: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics or Metrics(enabled=False)
        self._connectors = connectors
        self._configs = configs
        self._catalog = catalog
        self._registry = registry
        self._store = store
        self._limits = limits
        self._on_commit = on_commit
        self._listeners = [on_events]
        self._clock = clock
        self._fetchers = fetchers or {}
        # Anything configured as secret is cut out of what the rejection store keeps.
        self._all_secrets = [*redact, *(s for c in configs.values() for s in c.secrets)]

    def names(self) -> list[str]:
        """Every connector's name, sorted (searches ask each of them for a vendor's id)."""
        return sorted(self._connectors)

    def known(self, name: str) -> bool:
        """Whether a connector of this name exists (enabled or not): a metric's label."""
        return name in self._connectors

    def connector(self, name: str) -> Connector:
        """Raises: UnknownConnector (also for a connector disabled in connectors.yaml)."""
        connector = self._connectors.get(name)
        config = self._configs.get(name)
        if connector is None or (config is not None and not config.enabled):
            raise UnknownConnector(f"no connector named {name[:64]!r}")
        return connector

    def config(self, name: str) -> ConnectorConfig:
        return self._configs.get(name) or ConnectorConfig(name)

    async def receive(self, request: InboundRequest, content_type: str) -> IngestOutcome:
        """Verify, parse, deduplicate, normalize, validate and commit one inbound webhook.

        Raises:
            RequestError: the request is refused (the caller keeps it via `reject`).
            StoreUnavailable: it could not be committed.
        """
        connector = self.connector(request.connector)
        if not connector.accepts(request):
            raise UnsupportedMediaType(
                f"content-type {content_type[:80]!r} is not JSON; send application/json"
            )
        config = self.config(request.connector)
        connector.verify(request, config, self._limits.timestamp_tolerance)
        payload = connector.parse(request)
        reply = connector.handshake(request, payload)
        if reply is not None:
            return IngestOutcome([], reply=reply)
        connector.check(request, payload)
        sender_id = connector.dedup_key(request, payload)
        try:
            canonical = await self._canonical(connector, config, request, payload)
        except SchemaViolation:
            # A repeat of something accepted before is a repeat, even if the schema moved on.
            # Only refusals pay for this look-up: the commit itself catches repeats.
            if sender_id is not None:
                original = await self._store.find_receipt(request.connector, sender_id)
                if original is not None:
                    return IngestOutcome(original, duplicate=True)
            raise
        # The request as it came, credentials masked: what an event's page shows, and what
        # re-processing a quarantined receipt needs (topic headers, query).
        receipt = Receipt(
            new_id("rcp"), request.connector, sender_id, request.received_at, request.body,
            headers=redact_headers(request.headers, self._all_secrets),
            query=_redact_query(request.query) if request.query else None,
            request_id=request.request_id,
        )  # fmt: skip
        if isinstance(canonical, str):
            receipt = self._quarantined(receipt, canonical)
            result = await self._store.ingest(receipt, [], [])
            return IngestOutcome(
                result.event_ids, result.duplicate, receipt.status, receipt.id, canonical
            )
        if not canonical:
            receipt = replace(receipt, status=ReceiptStatus.IGNORED)
        events, deliveries = self._fan_out(receipt, canonical)
        result = await self._store.ingest(receipt, events, deliveries)
        self._committed(result.duplicate, events, deliveries)
        types = tuple(e.type for e in events)
        return IngestOutcome(
            result.event_ids, result.duplicate, receipt.status, receipt.id, types=types
        )

    def _committed(self, duplicate: bool, events: list[Event], deliveries: list[Delivery]) -> None:
        if duplicate:
            return
        self._metrics.events([e.type for e in events])
        if deliveries:
            self._on_commit()
        if events:
            for listener in self._listeners:
                listener()

    def listen(self, listener: Callable[[], None]) -> None:
        """Call `listener` too whenever events are committed (the state tracker, built after
        the ingestor it raises events through)."""
        self._listeners.append(listener)

    async def emit(self, event_type: str, data: dict[str, Any], subject: str) -> None:
        """An operational event of the hub's own, validated and fanned out like any other.

        Raises:
            StoreUnavailable: it could not be committed.
        """
        receipt, events, deliveries = self.prepare([CanonicalEvent(event_type, self._clock(),
                                                                   data, subject)])  # fmt: skip
        await self._store.ingest(receipt, events, deliveries)
        self.committed(events, deliveries)

    def prepare(
        self, canonical: list[CanonicalEvent]
    ) -> tuple[Receipt, list[Event], list[Delivery]]:
        """The hub's own events, validated and routed, ready to be committed by the caller
        with whatever else must commit with them (the state tracker's status changes).

        Raises:
            SchemaViolation: one does not match its schema (a bug of the hub's).
        """
        self._validate(canonical)
        receipt = Receipt(new_id("rcp"), HUB_SOURCE, None, self._clock(), b"")
        events, deliveries = self._fan_out(receipt, canonical)
        return receipt, events, deliveries

    def committed(self, events: list[Event], deliveries: list[Delivery]) -> None:
        """Wake the worker and the feed's readers for events committed elsewhere."""
        self._committed(False, events, deliveries)

    async def reprocess(self, receipt_id: str) -> IngestOutcome:
        """Run a quarantined receipt through normalization again, with today's settings.

        Raises:
            NotFound: no such receipt.
            Conflict: it is not quarantined, or it still cannot be resolved.
            SchemaViolation: it no longer validates.
        """
        receipt = await self._store.get_receipt(receipt_id)
        if receipt is None:
            raise NotFound(f"no receipt {receipt_id}")
        if receipt.status != ReceiptStatus.QUARANTINED:
            raise Conflict(f"receipt {receipt_id} is {receipt.status}, not quarantined")
        connector = self.connector(receipt.connector)
        request = InboundRequest(
            receipt.connector, receipt.headers or {}, receipt.query or {}, receipt.body,
            receipt.received_at,
        )  # fmt: skip
        config = self.config(receipt.connector)
        canonical = await self._canonical(connector, config, request, connector.parse(request))
        if isinstance(canonical, str):
            raise Conflict(f"receipt {receipt_id} is still quarantined: {canonical}")
        events, deliveries = self._fan_out(receipt, canonical)
        if not await self._store.resolve_receipt(receipt.id, events, deliveries):
            raise Conflict(f"receipt {receipt_id} was re-processed already")
        self._committed(False, events, deliveries)
        return IngestOutcome([e.id for e in events], False, ReceiptStatus.REPROCESSED, receipt.id)

    async def _canonical(
        self, connector: Connector, config: ConnectorConfig, request: InboundRequest, payload: Any
    ) -> list[CanonicalEvent] | str:
        """Normalized, company-assigned and validated events, or why they are quarantined."""
        context = NormalizeContext(self._catalog, config, self._fetchers.get(config.name))
        try:
            canonical = await connector.normalize(request, payload, context)
        except Quarantine as verdict:
            return verdict.reason
        if config.policy is not None:
            assigned = [assign(config.policy, event) for event in canonical]
            reasons = [a for a in assigned if isinstance(a, str)]
            if reasons:
                return reasons[0]
            canonical = [a for a in assigned if not isinstance(a, str)]
        self._validate(canonical)
        return canonical

    def _quarantined(self, receipt: Receipt, reason: str) -> Receipt:
        # Its headers and query are kept already: what re-processing needs.
        return replace(receipt, status=ReceiptStatus.QUARANTINED, reason=reason,
                       query=receipt.query or {})  # fmt: skip

    def _fan_out(
        self, receipt: Receipt, canonical: list[CanonicalEvent]
    ) -> tuple[list[Event], list[Delivery]]:
        events: list[Event] = []
        deliveries: list[Delivery] = []
        for c in canonical:
            event = self._event(receipt, c)
            events.append(event)
            route = self._registry.route(c.type, c.company, c.data, receipt.received_at)
            due = receipt.received_at
            deliveries += [self._delivery(event, s.id, due + s.retry.schedule[0]) for s in route]
        return events, deliveries

    def _validate(self, canonical: list[CanonicalEvent]) -> None:
        violations = []
        at_fault: str | None = None
        for index, event in enumerate(canonical):
            prefix = "/data" if len(canonical) == 1 else f"/events/{index}/data"
            found = self._catalog.violations(event.type, event.data, prefix)
            at_fault = at_fault or (event.type if found else None)
            violations += found
        if violations:
            names = ", ".join(sorted({e.type for e in canonical}))
            raise SchemaViolation(
                f"data does not match the schema of {names} ({len(violations)} problem(s))",
                violations,
                at_fault,
            )

    def _event(self, receipt: Receipt, canonical: CanonicalEvent) -> Event:
        return Event(
            id=new_id("evt"),
            type=canonical.type,
            source="/hub"
            if receipt.connector == HUB_SOURCE
            else f"/connectors/{receipt.connector}",
            connector=receipt.connector,
            time=canonical.time,
            received_at=receipt.received_at,
            data_json=dump_json(canonical.data),
            subject=canonical.subject,
            company=canonical.company,
            schema_version=self._catalog.get(canonical.type).version,
            receipt_id=receipt.id,
        )

    @staticmethod
    def _delivery(event: Event, subscription_id: str, due: float) -> Delivery:
        return Delivery(
            id=new_id("dlv"),
            event_id=event.id,
            subscription_id=subscription_id,
            event_type=event.type,
            status=DeliveryStatus.PENDING,
            created_at=event.received_at,
            next_attempt_at=due,
        )

    async def reject(
        self,
        connector: str,
        headers: Mapping[str, str],
        body: bytes,
        now: float,
        exc: RequestError,
        request_id: str | None = None,
    ) -> str | None:
        """Keep a refused request for admins; returns its id, or None if it could not be kept."""
        errors = [dict(e) for e in exc.extensions().get("errors", [])]
        rejection = RejectionRecord(
            id=new_id("rej"),
            connector=connector[:64],
            received_at=now,
            status=exc.status,
            reason=exc.title,
            detail=redact_text(exc.detail, self._all_secrets),
            headers=redact_headers(headers, self._all_secrets),
            body=redact_body(body, self._all_secrets, self._limits.rejection_body_cap),
            body_size=len(body),
            errors=errors,
            request_id=request_id,
        )
        try:
            await self._store.add_rejection(rejection, self._limits.rejections_max)
        except Exception:
            # The refusal still goes out; losing its copy is logged, never turned into a 5xx.
            log.exception("could not keep rejection of a %s request", connector[:64])
            return None
        return rejection.id
