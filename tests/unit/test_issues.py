"""Which issue a failure belongs to: a pure decision, tested as a table."""

from __future__ import annotations

import pytest

from hub.catalog import Violation
from hub.errors import InvalidSignature, MalformedJson, RequestError, SchemaViolation
from hub.observe.issues import delivery_issue, inbound_issue


@pytest.mark.parametrize(
    ("status", "error", "key", "title"),
    [
        (503, None, "delivery:erp:503", "erp: 503 from the receiver"),
        (500, None, "delivery:erp:500", "erp: 500 from the receiver"),
        (None, "timeout: no complete response within 2 s", "delivery:erp:timeout", "erp: timeout"),
        (None, "connect failed: [Errno 111] refused", "delivery:erp:connect failed",
         "erp: connect failed"),
        (None, None, "delivery:erp:no answer", "erp: no answer"),
    ],
)  # fmt: skip
def test_a_failed_attempt_is_grouped_by_subscription_and_answer(
    status: int | None, error: str | None, key: str, title: str
) -> None:
    found = delivery_issue("erp", status, error)
    assert (found.key, found.title, found.kind, found.scope) == (key, title, "delivery", "erp")


def schema(event_type: str | None, pointer: str) -> SchemaViolation:
    return SchemaViolation("bad", [Violation(pointer, "'x' is not a number")], event_type)


@pytest.mark.parametrize(
    ("exc", "key", "title"),
    [
        (InvalidSignature("no match"), "inbound:shopify:invalid-signature",
         "shopify: signature failures"),
        (MalformedJson("bad"), "inbound:shopify:malformed-json", "shopify: malformed JSON"),
        (schema("order.created", "/data/lines/0/price"),
         "schema:shopify/order.created:/lines/0/price",
         "order.created: schema violations at /lines/0/price"),
        (schema("order.created", "/events/2/data/total"),
         "schema:shopify/order.created:/total", "order.created: schema violations at /total"),
        (schema("order.created", "/data"), "schema:shopify/order.created:/",
         "order.created: schema violations at /"),
        # Without the type at fault (a hand-made violation), it is the connector's refusal.
        (schema(None, "/data/x"), "inbound:shopify:schema-violation",
         "shopify: schema violation"),
    ],
)  # fmt: skip
def test_a_refusal_is_grouped_by_connector_and_reason(
    exc: RequestError, key: str, title: str
) -> None:
    found = inbound_issue("shopify", exc)
    assert (found.key, found.title) == (key, title)
