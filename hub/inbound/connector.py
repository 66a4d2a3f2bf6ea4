"""The connector interface, and discovery of the modules in `connectors/`.

A connector is one module in the `connectors` package that exposes ``CONNECTOR``, an object
with the methods of `Connector`. Adding a vendor means adding a module: the registry finds it
by name, and its signing secret comes from ``HUB_CONNECTOR_<NAME>_SECRET``.
"""

from __future__ import annotations

import hmac
import importlib
import pkgutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from hub.catalog import Catalog
from hub.config import Secret
from hub.errors import ConfigError, InvalidSignature, SchemaViolation, Violation
from hub.jsontext import parse_json
from hub.model import CanonicalEvent

if TYPE_CHECKING:
    from hub.inbound.fetcher import Fetcher, FetchSettings
    from hub.inbound.policy import CompanyPolicy


@dataclass(frozen=True)
class InboundRequest:
    """An inbound webhook as received: header names are lower-case, the body is raw bytes."""

    connector: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes
    received_at: float
    request_id: str | None = None


@dataclass(frozen=True)
class ConnectorConfig:
    """One connector's deployment settings, from `connectors.yaml` and the environment.

    Attributes:
        secrets: signing keys or shared tokens; more than one while a rotation overlaps.
        options: connector-specific settings, checked by the connector's `check_options`.
        policy: how events that name no company get one (storefronts), if configured.
        fetch: how thin payloads are completed from the vendor's API, if configured.
    """

    name: str
    enabled: bool = True
    secrets: tuple[Secret, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    policy: CompanyPolicy | None = None
    fetch: FetchSettings | None = None
    unset: tuple[str, ...] = ()  # env: variables its secrets name that are not set


@dataclass(frozen=True)
class Reply:
    """A connector's own answer to a vendor handshake, sent instead of the usual ack."""

    status: int
    body: bytes = b""
    media_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NormalizeContext:
    """What normalization may consult: the catalog, the settings and, if configured, the
    vendor's API for thin payloads."""

    catalog: Catalog
    config: ConnectorConfig
    fetcher: Fetcher | None = None


class Connector(Protocol):
    """What every vendor module provides (see `BaseConnector` for the defaults)."""

    name: str
    # Vendors such as Xero want answers without a body; the status alone carries the verdict.
    quiet: bool

    def check_options(self, options: Mapping[str, Any]) -> list[str]:
        """Problems with this connector's options in `connectors.yaml`; empty when fine."""

    def accepts(self, request: InboundRequest) -> bool:
        """Whether the media type is one this connector reads (checked before anything else)."""

    def verify(self, request: InboundRequest, config: ConnectorConfig, tolerance: int) -> None:
        """Check authenticity from headers, query and the raw body.

        Raises:
            InvalidSignature: the request is not authentic.
        """

    def parse(self, request: InboundRequest) -> Any:
        """The payload of an authentic request, as `handshake`, `check` and `normalize` get it.

        Raises:
            MalformedJson: the body does not parse.
        """

    def handshake(self, request: InboundRequest, payload: Any) -> Reply | None:
        """The answer to a vendor's validation handshake, or None for a normal delivery."""

    def check(self, request: InboundRequest, payload: Any) -> None:
        """Refuse an envelope that breaks its format's rules, before any duplicate check (so
        that an invalid message is never answered as a repeat of a valid one).

        Raises:
            InvalidEnvelope
        """

    def dedup_key(self, request: InboundRequest, payload: Any) -> str | None:
        """The sender's own id for this delivery, used to drop repeats."""

    async def normalize(
        self, request: InboundRequest, payload: Any, context: NormalizeContext
    ) -> list[CanonicalEvent]:
        """Map a parsed payload to canonical events; an empty list acknowledges and ignores.

        Topics the connector cannot map become `hub.unmapped` events (see `unmapped`), so
        nothing acknowledged is silently dropped.

        Raises:
            SchemaViolation: the payload does not have the shape the connector needs.
        """


class BaseConnector:
    """Defaults for connectors: JSON bodies, no options, no handshake, JSON answers."""

    name = ""
    quiet = False

    def check_options(self, options: Mapping[str, Any]) -> list[str]:
        return [f"unknown option {key!r}" for key in options]

    def accepts(self, request: InboundRequest) -> bool:
        return is_json_media_type(request.headers.get("content-type", ""))

    def parse(self, request: InboundRequest) -> Any:
        return parse_json(request.body)

    def handshake(self, request: InboundRequest, payload: Any) -> Reply | None:
        return None

    def check(self, request: InboundRequest, payload: Any) -> None:
        return None

    def dedup_key(self, request: InboundRequest, payload: Any) -> str | None:
        return None


def is_json_media_type(content_type: str) -> bool:
    """True for ``application/json`` and ``application/*+json`` (parameters ignored)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class Quarantine(Exception):
    """Raised by `normalize` for an authentic message that cannot become events yet (its
    resource could not be fetched): it is acknowledged, kept, and can be re-processed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


UNMAPPED = "hub.unmapped"


def unmapped(connector: str, topic: str, reason: str, payload: Any, when: float) -> CanonicalEvent:
    """A `hub.unmapped` event: kept, listable and subscribable, but not a business event."""
    return CanonicalEvent(
        type=UNMAPPED,
        time=when,
        data={"connector": connector, "topic": topic, "reason": reason, "payload": payload},
        subject=f"{connector}/{topic}",
    )


def require_object(payload: Any) -> dict[str, Any]:
    """The payload as a JSON object.

    Raises:
        SchemaViolation: it is not one.
    """
    if not isinstance(payload, dict):
        raise SchemaViolation("body must be a JSON object", [Violation("", "not an object")])
    return payload


def hmac_matches(expected: bytes, candidates: Sequence[bytes]) -> bool:
    """Constant-time comparison of one computed digest against the presented ones."""
    return any(hmac.compare_digest(expected, c) for c in candidates)


def usable_keys(config: ConnectorConfig) -> list[bytes]:
    """The configured secrets as UTF-8 bytes.

    Raises:
        InvalidSignature: none is configured, so nothing can be authentic.
    """
    keys = [s.reveal().encode() for s in config.secrets if s.reveal()]
    if not keys:
        raise InvalidSignature(f"connector {config.name!r} has no secret configured")
    return keys


def discover(package: str = "connectors") -> dict[str, Connector]:
    """Import every module of the package and collect its ``CONNECTOR``.

    Raises:
        ConfigError: a module has no CONNECTOR, or two share a name.
    """
    found: dict[str, Connector] = {}
    root = importlib.import_module(package)
    for info in pkgutil.iter_modules(root.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        connector = getattr(module, "CONNECTOR", None)
        if connector is None:
            raise ConfigError(f"{module.__name__}: no CONNECTOR defined")
        if connector.name in found:
            raise ConfigError(f"{module.__name__}: connector name {connector.name!r} is taken")
        found[connector.name] = connector
    return found
