"""Standard Webhooks signatures against the official vector and the reference library."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from hub import signing
from hub.errors import InvalidSignature

VECTORS = json.loads(
    (Path(__file__).parents[1] / "fixtures/connectors/standard_webhooks_vectors.json")
    .read_text()
)  # fmt: skip
OFFICIAL = VECTORS["official_sign_vector"]
FIXTURE = VECTORS["official_test_fixture_values"]
KEY = signing.decode_secret(OFFICIAL["secret"])
BODY = OFFICIAL["payload"].encode()
TS = OFFICIAL["timestamp"]


def headers(signature: str, msg_id: str = OFFICIAL["msg_id"], ts: int = TS) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": signature}


def test_official_vector_signs() -> None:
    assert signing.sign(KEY, OFFICIAL["msg_id"], TS, BODY) == OFFICIAL["expected_signature"]


def test_official_vector_verifies_at_its_time() -> None:
    msg_id = signing.verify([KEY], OFFICIAL["headers"], BODY, now=TS)
    assert msg_id == OFFICIAL["msg_id"]


@pytest.mark.parametrize("case", VECTORS["derived_vectors_computed_by_researcher"]["cases"])
def test_unpadded_and_prefixed_secrets(case: dict[str, Any]) -> None:
    key = signing.decode_secret(case["secret"])
    got = signing.sign(key, case["msg_id"], case["timestamp"], case["payload"].encode())
    assert got == case["expected_signature"]


def test_agrees_with_the_reference_library() -> None:
    secret = "whsec_" + FIXTURE["DEFAULT_SECRET"]
    when = datetime.now(UTC)
    body = '{"type":"order.created","data":{"order_id":"1"}}'
    ours = signing.sign(
        signing.decode_secret(secret), "msg_x", int(when.timestamp()), body.encode()
    )
    assert ours == Webhook(secret).sign("msg_x", when, body)
    Webhook(secret).verify(body, headers(ours, "msg_x", int(when.timestamp())))


def test_the_valid_signature_need_not_come_first() -> None:
    entries = list(FIXTURE["multi_sig_header_entries_in_order"])
    entries[entries.index("<valid v1 signature>")] = OFFICIAL["expected_signature"]
    assert signing.verify([KEY], headers(" ".join(entries)), BODY, now=TS)


def test_signature_header_signs_with_every_key_for_rotation() -> None:
    other = signing.decode_secret("whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24=")
    header = signing.signature_header([KEY, other], "msg_r", TS, BODY)
    for secret in (OFFICIAL["secret"], "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24="):
        assert signing.verify([signing.decode_secret(secret)], headers(header, "msg_r"), BODY, TS)


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (FIXTURE["invalid_signature_used_in_python_test"], "no matching"),
        (FIXTURE["invalid_signature_used_in_go_js_tests"], "no matching"),
        ("garbage", "no matching"),  # the library raises ValueError here
        ("v1,!!!notbase64", "no matching"),  # the library raises binascii.Error here
        ("v1,", "no matching"),
        ("v1a," + OFFICIAL["expected_signature"][3:], "no matching"),  # v1a is not v1
        ("v2," + OFFICIAL["expected_signature"][3:], "no matching"),
        ("", "missing header"),
    ],
)
def test_bad_signatures_are_refused_never_crash(signature: str, reason: str) -> None:
    with pytest.raises(InvalidSignature, match=reason):
        signing.verify([KEY], headers(signature), BODY, now=TS)


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(-301, False), (-300, True), (0, True), (300, True), (301, False)],
)
def test_timestamp_tolerance_both_ways(offset: int, accepted: bool) -> None:
    now = TS - offset  # the message is `offset` seconds away from now
    if accepted:
        signing.verify([KEY], OFFICIAL["headers"], BODY, now=now)
    else:
        with pytest.raises(InvalidSignature, match="too"):
            signing.verify([KEY], OFFICIAL["headers"], BODY, now=now)


@pytest.mark.parametrize("raw_ts", ["abc", "1e9", "-5", "99999999999999999999", "１２３"])
def test_non_integer_timestamps_are_refused(raw_ts: str) -> None:
    bad = headers(OFFICIAL["expected_signature"]) | {"webhook-timestamp": raw_ts}
    with pytest.raises(InvalidSignature):
        signing.verify([KEY], bad, BODY, now=TS)


def test_a_changed_body_fails() -> None:
    with pytest.raises(InvalidSignature):
        signing.verify([KEY], OFFICIAL["headers"], BODY + b" ", now=TS)


@pytest.mark.parametrize("secret", ["", "whsec_", "whsec_***"])
def test_unusable_secrets_are_rejected(secret: str) -> None:
    with pytest.raises(ValueError):
        signing.decode_secret(secret)
