"""What every connector test uses: vendor samples as bytes, direct normalization, a real hub."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import yaml

from hub.catalog import Catalog
from hub.inbound.connector import ConnectorConfig, InboundRequest, NormalizeContext, discover
from hub.inbound.connector_settings import load_connector_settings
from hub.inbound.fetcher import Fetcher
from hub.model import CanonicalEvent
from tests.helpers import (
    SUBSCRIBER_SECRET,
    Receiver,
    RunningHub,
    hub_settings,
    running_hub,
    subscriptions_yaml,
)

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "connectors"
NOW = 1_763_900_000.0
CONNECTORS = discover()


def sample(name: str) -> bytes:
    """A vendor sample, byte for byte: signatures are computed over exactly these bytes."""
    return (SAMPLES / name).read_bytes()


def b64_hmac(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.digest(key.encode(), body, hashlib.sha256)).decode()


def configure(name: str, entry: Mapping[str, Any], env: Mapping[str, str]) -> ConnectorConfig:
    """A connector's settings, parsed by the real loader from a one-entry connectors.yaml."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "connectors.yaml"
        path.write_text(yaml.safe_dump({"connectors": {name: dict(entry)}}))
        return load_connector_settings(path, CONNECTORS, env, {})[name]


async def normalize(
    catalog: Catalog,
    name: str,
    body: bytes,
    headers: Mapping[str, str] | None = None,
    *,
    config: ConnectorConfig | None = None,
    fetcher: Fetcher | None = None,
    query: Mapping[str, str] | None = None,
) -> list[CanonicalEvent]:
    """Run a connector's mapping on a body, and check every event against the catalog."""
    from hub.jsontext import parse_json

    connector = CONNECTORS[name]
    request = InboundRequest(name, dict(headers or {}), dict(query or {}), body, NOW)
    context = NormalizeContext(catalog, config or ConnectorConfig(name), fetcher)
    events = await connector.normalize(request, parse_json(body), context)
    for event in events:
        assert catalog.violations(event.type, event.data) == [], (event.type, event.data)
    return events


@asynccontextmanager
async def vendor_hub(
    tmp_path: Path,
    connectors: Mapping[str, Any],
    env: Mapping[str, str],
    receiver: Receiver | None = None,
    events: list[str] | None = None,
) -> AsyncIterator[RunningHub]:
    """A hub with the given connectors.yaml entries and, optionally, one subscriber."""
    (tmp_path / "connectors.yaml").write_text(yaml.safe_dump({"connectors": dict(connectors)}))
    entries = []
    if receiver is not None:
        entries.append(
            {
                "id": "sub",
                "url": receiver.url(),
                "events": events or ["*"],
                "secret": SUBSCRIBER_SECRET,
            }
        )
    (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml(entries))
    async with running_hub(hub_settings(tmp_path), dict(env)) as hub:
        yield hub


async def post(
    hub: RunningHub, connector: str, body: bytes, headers: Mapping[str, str], query: str = ""
) -> Any:
    sent = {"content-type": "application/json", **headers}
    return await hub.client.post(f"/webhooks/{connector}{query}", content=body, headers=sent)


async def events_of(hub: RunningHub) -> list[dict[str, Any]]:
    """Every stored event, oldest first (an ack means they are committed), but the issues
    that refusals open and acceptances resolve (``hub.issue.*``)."""
    items = (await hub.get("/api/events", limit=200))["items"]
    return [e for e in reversed(items) if not e["type"].startswith("hub.issue.")]


def data_of(event: Mapping[str, Any]) -> Any:
    return event["data"] if "data" in event else json.loads(event["data_json"])
