"""Hostile input never reaches a 500: whatever an attacker puts in a header, a query value or
(once authentic) a payload, a connector refuses it with a `RequestError` or maps it.

Two layers are checked for every connector. Authentication decodes headers and query values
that anyone can send without credentials: arbitrary text in the range HTTP delivers (Starlette
decodes header bytes as Latin-1) must give a 401 or 400, never another exception. Normalization
maps authentic payloads: every vendor sample, with random leaves swapped for hostile values
(huge numbers, wrong types, empty containers), must map or be refused.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.catalog import Catalog
from hub.config import Secret
from hub.errors import RequestError
from hub.inbound.connector import (
    ConnectorConfig,
    InboundRequest,
    NormalizeContext,
    Quarantine,
    discover,
)
from hub.jsontext import parse_json
from tests.connectors.kit import NOW, SAMPLES, post, vendor_hub
from tests.connectors.test_shipstation import PEM

CONNECTORS = discover()
HEADERS = [
    "webhook-id", "webhook-timestamp", "webhook-signature", "x-shopify-hmac-sha256",
    "x-shopify-topic", "x-hmac-signature", "intuit-signature", "x-xero-signature",
    "x-functions-key", "authorization", "x-shipengine-rsa-sha256-signature",
    "x-shipengine-timestamp", "x-shipengine-rsa-sha256-key-id", "ce-specversion", "ce-id",
    "ce-type", "ce-source", "ce-time", "aeg-event-type", "content-type", "x-bc-token",
]  # fmt: skip
QUERY = ["code", "secret", "access_token"]
# Keys in each connector's own format, so that verification runs past "no secret configured".
SECRETS = {"standard": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
latin1 = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=255), max_size=80)
tricky = st.sampled_from(
    ["v1,é", "v1,\xff\xfe", "v1,Zm9v\x00", "hmac-sha256-hex=ÿ", "Bearer é", "1e400", "٣٣",
     "0x10", " 1700000000 ", "v1,", ",", "=", "é" * 40]
)  # fmt: skip
header_values = st.one_of(latin1, tricky)


# Fresh ids and timestamps, so that random signatures are decoded rather than refused early.
FRESH = {
    "webhook-id": "msg_1",
    "webhook-timestamp": str(int(NOW)),
    "x-shipengine-timestamp": datetime.fromtimestamp(NOW, UTC).isoformat(),
    "x-shipengine-rsa-sha256-key-id": "key-1",
}


def config(name: str) -> ConnectorConfig:
    secret = SECRETS.get(name, "a-configured-secret")
    options = {"public_keys": {"key-1": PEM}} if name == "shipstation" else {}
    return ConnectorConfig(name, secrets=(Secret(secret),), options=options)


@settings(max_examples=400, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(
    name=st.sampled_from(sorted(CONNECTORS)),
    headers=st.dictionaries(st.sampled_from(HEADERS), header_values, max_size=6),
    query=st.dictionaries(st.sampled_from(QUERY), latin1, max_size=2),
    body=st.sampled_from([b"{}", b'{"type": "order.created"}', b"[]", "é".encode()]),
)
def test_authentication_never_raises_anything_but_a_refusal(
    name: str, headers: dict[str, str], query: dict[str, str], body: bytes
) -> None:
    request = InboundRequest(name, FRESH | headers, query, body, NOW)
    try:
        CONNECTORS[name].verify(request, config(name), 300)
    except RequestError as exc:
        assert exc.status in (400, 401)


# A valid id and a fresh timestamp take verification as far as decoding the signature.
@pytest.mark.parametrize("connector", ["standard", "bigcommerce"])
@pytest.mark.parametrize("value", ["v1,é", "v1,\xff", "v1,Zm9v v1,ü"])
async def test_a_non_ascii_signature_is_a_401_over_http(
    tmp_path: Path, connector: str, value: str
) -> None:
    entry = {"secrets": ["env:SECRET"]}
    env = {"SECRET": SECRETS.get("standard", "")}
    async with vendor_hub(tmp_path, {connector: entry}, env) as hub:
        headers = {
            "webhook-id": "msg_1",
            "webhook-timestamp": str(int(hub.clock.now())),
            "webhook-signature": value.encode("latin-1"),
        }
        response = await post(hub, connector, b"{}", headers)  # type: ignore[arg-type]
        assert response.status_code == 401, response.text
        assert response.headers["content-type"] == "application/problem+json"
        kept = await hub.get("/api/rejections", limit=1)
        assert kept["items"][0]["status"] == 401


HOSTILE: list[Any] = [
    10**30, -(10**30), 1e300, -1e300, 2**63, -(2**63) - 1, 1.5, 0, -1, True, None, "", "é",
    "9" * 400, "2026-13-45T99:99:99Z", "/Date(99999999999999999999)/", "Mon, 99 Foo 9999",
    [], {}, ["a"], [[[]]], {"id": None}, {"a": {"b": 1}}, "x" * 2000,
]  # fmt: skip
SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.json") if p.name.split("_")[0] in CONNECTORS)
TOPICS = [
    "orders/create", "orders/updated", "orders/edited", "orders/paid", "orders/fulfilled",
    "orders/cancelled", "fulfillments/create", "refunds/create", "customers/create",
    "products/update", "orders/delete",
]  # fmt: skip


def leaves(doc: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += leaves(value, (*at, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += leaves(value, (*at, index))
    return found


def replaced(doc: Any, at: tuple[Any, ...], value: Any) -> Any:
    if not at:
        return value
    head, rest = at[0], at[1:]
    if isinstance(doc, dict) and head in doc:
        return {**doc, head: replaced(doc[head], rest, value)}
    if isinstance(doc, list) and isinstance(head, int) and head < len(doc):
        return [*doc[:head], replaced(doc[head], rest, value), *doc[head + 1 :]]
    return doc


@pytest.mark.parametrize("file", SAMPLE_FILES)
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_authentic_but_hostile_payloads_map_or_are_refused(
    catalog: Catalog, file: str, data: st.DataObject
) -> None:
    name = file.split("_")[0]
    doc = json.loads((SAMPLES / file).read_bytes())
    places = leaves(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        doc = replaced(doc, data.draw(st.sampled_from(places)), data.draw(st.sampled_from(HOSTILE)))
    headers = {"content-type": "application/json"}
    if name == "shopify":
        headers["x-shopify-topic"] = data.draw(st.sampled_from(TOPICS))
    if name == "cloudevents":
        headers["content-type"] = "application/cloudevents+json"
    body = json.dumps(doc).encode()
    request = InboundRequest(name, headers, {}, body, NOW)
    connector = CONNECTORS[name]
    try:
        payload = parse_json(body)
        connector.dedup_key(request, payload)
        connector.handshake(request, payload)
        events = await connector.normalize(
            request, payload, NormalizeContext(catalog, ConnectorConfig(name))
        )
        for event in events:
            catalog.violations(event.type, event.data)
    except (RequestError, Quarantine):
        pass


@pytest.mark.parametrize(
    "body",
    [b'{"a": "\\ud800"}', b'{"n": 12345678901234567890, "s": "\\udc00x"}', b'["\\udbff"]'],
)
def test_a_lone_surrogate_escape_is_malformed_json(body: bytes) -> None:
    with pytest.raises(RequestError) as caught:
        parse_json(body)
    assert caught.value.status == 400
