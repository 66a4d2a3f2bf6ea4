"""Dynamics 365 / Dataverse webhooks: data events (create, update, delete) of any table.

Dataverse posts the plug-in ``RemoteExecutionContext``; Finance & Operations data events reach
it the same way, for ``mserp_*`` virtual entities. Authenticity: Dataverse signs nothing; its
three options are a configured header (``HttpHeader``), ``?code=`` (``WebhookKey``) or query
parameters (``HttpQueryString``). Set ``options.header`` or ``options.query`` to the name used.

Each message becomes a generic data event, ``<table>.created|updated|deleted``, with the
record's attributes flattened (option sets, money and lookups to their values, dates to
RFC 3339; note the ``\\/Date(ms-0700)\\/`` forms) and the F&O company from ``mserp_dataareaid``.
Repeats are recognised by ``RequestId`` or ``x-request-id``, else by the operation and record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connectors._common import (
    SHARED_KEY_OPTIONS,
    array,
    check_shared_key,
    header,
    ms_date,
    obj,
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

OPERATIONS = {
    "create": "created", "oncreate": "created", "onexternalcreated": "created",
    "update": "updated", "onupdate": "updated", "onexternalupdated": "updated",
    "delete": "deleted", "ondelete": "deleted", "onexternaldeleted": "deleted",
}  # fmt: skip
EMPTY_GUID = "00000000-0000-0000-0000-000000000000"


def value_of(raw: Any) -> Any:
    """A Dataverse attribute value as plain JSON."""
    if isinstance(raw, dict):
        kind = str(raw.get("__type", ""))
        if kind.startswith(("OptionSetValue", "Money")):
            return raw.get("Value")
        if kind.startswith("EntityReference"):
            return raw.get("Id")
        return {k: value_of(v) for k, v in raw.items() if k != "__type"}
    if isinstance(raw, list):
        return [value_of(v) for v in raw]
    if ms_date(raw) is not None:
        return rfc3339(raw)
    return raw


def attributes(entity: Mapping[str, Any]) -> dict[str, Any]:
    return {
        str(pair["key"]): value_of(pair.get("value"))
        for pair in array(entity.get("Attributes"))
        if isinstance(pair, dict) and "key" in pair
    }


def target(context: Mapping[str, Any]) -> dict[str, Any]:
    for pair in array(context.get("InputParameters")):
        if isinstance(pair, dict) and pair.get("key") == "Target":
            value = pair.get("value")
            # A delete's target is an EntityReference: an id without attributes.
            return obj(value)
    return {}


def entity_name(logical: str) -> str:
    """``mserp_custcustomergroupentity`` -> ``custcustomergroup``; ``contact`` stays."""
    name = re.sub(r"^mserp_", "", logical.lower())
    name = re.sub(r"entity$", "", name) or name
    return re.sub(r"[^a-z0-9_]", "_", name)


class DataverseConnector(BaseConnector):
    name = "dataverse"

    def check_options(self, options: Mapping[str, Any]) -> list[str]:
        return [f"unknown option {k!r}" for k in options if k not in SHARED_KEY_OPTIONS]

    def verify(self, request: InboundRequest, config: ConnectorConfig, tolerance: int) -> None:
        check_shared_key(request, config)

    def dedup_key(self, request: InboundRequest, payload: Any) -> str | None:
        raw = obj(payload)
        found = text(raw.get("RequestId")) or header(request, "x-request-id")
        if found:
            return found
        # F&O data events carry neither: one operation on one record is one event.
        operation = text(raw.get("OperationId")) or text(raw.get("CorrelationId"))
        if operation is None:
            return None
        record = text(target(raw).get("Id")) or text(raw.get("PrimaryEntityId"))
        return f"{operation}:{raw.get('MessageName')}:{raw.get('PrimaryEntityName')}:{record}"

    async def normalize(
        self, request: InboundRequest, payload: Any, context: NormalizeContext
    ) -> list[CanonicalEvent]:
        raw = require_object(payload)
        message = str(raw.get("MessageName") or "")
        logical = str(raw.get("PrimaryEntityName") or "")
        at = when(raw.get("OperationCreatedOn"), default=request.received_at)
        operation = OPERATIONS.get(message.lower())
        entity = target(raw)
        record_id = text(entity.get("Id")) or text(raw.get("PrimaryEntityId"))
        if operation is None or not logical or record_id in (None, EMPTY_GUID):
            topic = f"{logical}.{message}"
            return [unmapped(self.name, topic, f"no mapping for {topic}", raw, at)]
        name = entity_name(logical)
        record = attributes(entity)
        company = text(record.get("mserp_dataareaid"))
        truncated = header(request, "x-ms-dynamics-msg-size-exceeded") is not None
        data: dict[str, Any] = {
            "entity": name,
            "operation": operation,
            "record_id": record_id,
            "source_system": "dataverse",
            "source_entity": logical,
            "changed_at": rfc3339(raw.get("OperationCreatedOn")),
            "record": record,
            "references": references(
                dataverse={
                    f"{name}_id": record_id,
                    "organization": raw.get("OrganizationName") or header(
                        request, "x-ms-dynamics-organization"),
                    "correlation_id": raw.get("CorrelationId"),
                }
            ),
        }  # fmt: skip
        company = company.upper() if company else None
        if company:
            data["company"] = company
        if truncated:  # above 256 KB Dataverse drops the images and parameters
            data["source_status"] = "message size exceeded: record omitted by Dataverse"
        data = {k: v for k, v in data.items() if v is not None}
        subject = f"{name}/{record_id}"
        return [CanonicalEvent(f"{name}.{operation}", at, data, subject, company)]


CONNECTOR = DataverseConnector()
