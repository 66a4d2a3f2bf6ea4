"""The hub's exception tree.

Every error the hub raises on purpose derives from `HubError`. Each class carries the HTTP status
and a short slug; `hub.app` turns them into RFC 9457 problem responses in one place::

    HubError
    ├── RequestError                 4xx: the caller sent something we refuse
    │   ├── MalformedJson            400
    │   ├── InvalidParameter         400
    │   │   └── UnknownParameters    400 (names what is unknown and what is accepted)
    │   ├── Unauthorized             401 (admin API token)
    │   ├── InvalidSignature         401 (inbound webhook authenticity)
    │   ├── Forbidden                403 (a scoped token beyond its scope)
    │   ├── NotFound                 404
    │   │   └── UnknownConnector     404
    │   ├── Conflict                 409
    │   ├── RequestTimeout           408
    │   ├── PayloadTooLarge          413
    │   ├── UnsupportedMediaType     415
    │   └── InvalidDocument          400 (one entry per failing JSON pointer)
    │       ├── InvalidEnvelope      400 (a CloudEvent that breaks the spec's attribute rules)
    │       └── SchemaViolation      422 (the payload does not satisfy its schema)
    │           └── UnknownEventType 422
    ├── ServiceUnavailable           503 with Retry-After
    │   └── StoreUnavailable         the store cannot commit right now
    └── ConfigError                  start-up only: names the file and the entry at fault
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROBLEM_BASE = "tag:webhook-hub,2026:problem/"


@dataclass(frozen=True)
class Violation:
    """One failing location in a JSON document."""

    pointer: str
    message: str


class HubError(Exception):
    """Root of every error the hub raises on purpose."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def extensions(self) -> dict[str, Any]:
        """Extra members for the problem document (RFC 9457 §3.2)."""
        return {}

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        """Render this error as an RFC 9457 problem document."""
        doc: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance is not None:
            doc["instance"] = instance
        doc.update(self.extensions())
        return doc


class RequestError(HubError):
    """The caller sent something the hub refuses (4xx)."""

    status = 400
    slug = "bad-request"
    title = "Bad request"


class MalformedJson(RequestError):
    status = 400
    slug = "malformed-json"
    title = "Malformed JSON"


class InvalidParameter(RequestError):
    status = 400
    slug = "invalid-parameter"
    title = "Invalid parameter"


class UnknownParameters(InvalidParameter):
    """A request named parameters or fields the route does not take: never silently ignored,
    because an ignored filter widens what an admin lists, replays or retries."""

    slug = "unknown-parameters"
    title = "Unknown parameters"

    def __init__(self, where: str, unknown: list[str], accepted: list[str]) -> None:
        named = ", ".join(repr(u[:40]) for u in unknown[:10])
        takes = ", ".join(accepted) if accepted else "none"
        super().__init__(f"unknown {where}: {named}; this route takes: {takes}")
        self.unknown, self.accepted = unknown, accepted

    def extensions(self) -> dict[str, Any]:
        return {"unknown": [u[:100] for u in self.unknown[:10]], "accepted": self.accepted}


class Unauthorized(RequestError):
    status = 401
    slug = "unauthorized"
    title = "Missing or invalid token"


class InvalidSignature(RequestError):
    status = 401
    slug = "invalid-signature"
    title = "Webhook authenticity could not be verified"


class Forbidden(RequestError):
    status = 403
    slug = "forbidden"
    title = "Not allowed for this token"


class NotFound(RequestError):
    status = 404
    slug = "not-found"
    title = "Not found"


class UnknownConnector(NotFound):
    slug = "unknown-connector"
    title = "Unknown connector"


class Conflict(RequestError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class RequestTimeout(RequestError):
    status = 408
    slug = "request-timeout"
    title = "The request body was not received in time"


class PayloadTooLarge(RequestError):
    status = 413
    slug = "payload-too-large"
    title = "Payload too large"


class UnsupportedMediaType(RequestError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class InvalidDocument(RequestError):
    """A JSON document with problems at given places; each is named by its JSON pointer."""

    slug = "invalid-document"
    title = "Invalid document"

    def __init__(self, detail: str, violations: list[Violation]) -> None:
        super().__init__(detail)
        self.violations = violations

    def extensions(self) -> dict[str, Any]:
        return {"errors": [{"pointer": v.pointer, "detail": v.message} for v in self.violations]}


class InvalidEnvelope(InvalidDocument):
    """An event envelope (a CloudEvent) that breaks its specification's rules: malformed, so
    400, and refused before any duplicate check."""

    status = 400
    slug = "invalid-envelope"
    title = "Invalid event envelope"


class SchemaViolation(InvalidDocument):
    """The payload parsed but does not satisfy its schema."""

    status = 422
    slug = "schema-violation"
    title = "Schema violation"

    def __init__(
        self, detail: str, violations: list[Violation], event_type: str | None = None
    ) -> None:
        super().__init__(detail, violations)
        self.event_type = event_type  # the first event at fault: what groups its issue


class UnknownEventType(SchemaViolation):
    slug = "unknown-event-type"
    title = "Unknown event type"


class ServiceUnavailable(HubError):
    """The hub cannot serve this now; the caller should retry after `retry_after` seconds."""

    status = 503
    slug = "service-unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class StoreUnavailable(ServiceUnavailable):
    """The store could not commit; the sender should retry later."""

    slug = "store-unavailable"
    title = "Store unavailable"


class ConfigError(HubError):
    """Invalid configuration found at start-up."""

    slug = "configuration-error"
    title = "Configuration error"
