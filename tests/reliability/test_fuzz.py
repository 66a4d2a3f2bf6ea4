"""Hostile input, generated: every connector's inbound route gets random and malformed
requests, and must answer each with a clear refusal (or an ack), never a 5xx.

`make test` runs a bounded number of cases; `HUB_FUZZ_CASES=10000 make test` (or `make soak`)
runs the soak variant.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.inbound.connector import discover
from tests.reliability.process import serve_hub

CASES = int(os.environ.get("HUB_FUZZ_CASES", "300"))
TOKEN = "fuzz-admin-token"
CONNECTORS = sorted(discover())
BODY_LIMIT = 4096
CAP = 512
KEEP = 40
SIGNATURE_HEADERS = [
    "webhook-signature", "webhook-id", "webhook-timestamp", "x-shopify-hmac-sha256",
    "x-shopify-topic", "x-hmac-signature", "intuit-signature", "x-xero-signature",
    "x-functions-key", "authorization", "x-shipengine-rsa-sha256-signature",
    "x-shipengine-timestamp", "x-shipengine-rsa-sha256-key-id", "ce-specversion", "ce-id",
    "ce-type", "ce-source", "aeg-event-type",
]  # fmt: skip


@pytest.fixture(scope="module")
def hub_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`hub serve` for real, every connector configured with a secret."""
    extra = {"HUB_MAX_BODY_BYTES": str(BODY_LIMIT), "HUB_REJECTION_BODY_CAP": str(CAP),
             "HUB_REJECTIONS_MAX": str(KEEP)}  # fmt: skip
    with serve_hub(tmp_path_factory.mktemp("fuzz"), TOKEN, extra) as url:
        yield url


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=20,
)
bodies = st.one_of(
    st.binary(max_size=600),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.integers(1, 12_000).map(lambda n: b"[" * n + b"]" * n),  # deep nesting
    st.integers(1, 5000).map(lambda n: b'{"id": ' + b"9" * n + b"}"),  # huge numbers
    st.integers(1, 3).map(lambda n: b'{"a": 1, "a": 2, "s": "' + b"\xff\xfe" * n + b'"}'),
    st.integers(BODY_LIMIT - 10, BODY_LIMIT + 2000).map(lambda n: b'{"x": "' + b"y" * n + b'"}'),
    st.sampled_from([b"", b"{", b'{"type": "order.created"', b"null", b"[]", b"NaN"]),
)
header_values = st.one_of(
    st.sampled_from(["", "garbage", "v1,", "v1,!!!", "v1a,abc", "v1,Zm9v v1,YmFy",
                     "hmac-sha256-hex=00", "Bearer x", "0", "-1", "99999999999999999999",
                     "2026-11-23T12:00:00Z"]),
    st.integers(-(2**40), 2**40).map(str),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=60),
)  # fmt: skip
requests = st.fixed_dictionaries(
    {
        "connector": st.sampled_from([*CONNECTORS, "nosuch"]),
        "body": bodies,
        "content_type": st.sampled_from(["application/json", "text/plain", "",
                                         "application/cloudevents+json",
                                         "application/cloudevents-batch+json; charset=utf-8"]),
        "headers": st.dictionaries(st.sampled_from(SIGNATURE_HEADERS), header_values, max_size=4),
        "query": st.sampled_from(["", "?code=x", "?secret=x", "?access_token=x", "?code="]),
    }
)  # fmt: skip


@settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.data_too_large], database=None)  # fmt: skip
@given(case=requests)
def test_no_input_gets_a_5xx(hub_url: str, case: dict[str, object]) -> None:
    headers = dict(case["headers"])  # type: ignore[call-overload]
    if case["content_type"]:
        headers["content-type"] = str(case["content_type"])
    with httpx.Client(base_url=hub_url, timeout=30) as client:
        response = client.post(
            f"/webhooks/{case['connector']}{case['query']}", content=case["body"], headers=headers
        )  # type: ignore[arg-type]
    assert response.status_code < 500, response.text
    if response.status_code >= 400 and case["connector"] != "xero":  # Xero's are bodiless
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == response.status_code and problem["detail"]


def test_refusals_are_kept_within_their_caps(hub_url: str) -> None:
    # Runs after the fuzzing above (same module): the quarantine is capped in count and size.
    headers = {"authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=hub_url, timeout=30) as client:
        client.post(
            "/webhooks/standard", content=b"x" * 2000, headers={"content-type": "text/plain"}
        )
        kept = client.get("/api/rejections", params={"limit": 500}, headers=headers).json()
    assert 1 <= len(kept["items"]) <= KEEP
    assert all(len(r["body"].encode()) <= CAP * 4 // 3 + 4 for r in kept["items"])
    assert any(r["body_truncated"] for r in kept["items"])
