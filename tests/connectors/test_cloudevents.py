"""CloudEvents: structured, batch and binary modes, both token styles, the handshakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.cloudevents import problems
from hub.catalog import Catalog
from tests.connectors.kit import events_of, normalize, post, sample, vendor_hub
from tests.helpers import Receiver, order_data, verify_outbound

TOKEN = "cloudevents-token"
ENTRY = {"secrets": ["env:CE_TOKEN"], "options": {"type_prefix": "com.example.hub."}}
ENV = {"CE_TOKEN": TOKEN}
STRUCTURED = {"content-type": "application/cloudevents+json; charset=utf-8"}


def order_event(event_id: str = "A-1") -> dict[str, object]:
    return {"specversion": "1.0", "id": event_id, "source": "/shop", "type":
            "com.example.hub.order.created", "time": "2026-11-20T09:30:00Z",
            "company": "USMF", "data": order_data("1001")}  # fmt: skip


async def test_the_spec_samples_are_kept_unmapped(catalog: Catalog) -> None:
    for name in ("cloudevents_structured_json_example.json",
                 "cloudevents_structured_json_example_xml_data.json"):  # fmt: skip
        [event] = await normalize(catalog, "cloudevents", sample(name), STRUCTURED)
        assert (event.type, event.data["topic"]) == ("hub.unmapped", "com.example.someevent")
        assert event.data["payload"]["id"] in ("C234-1234-1234", "B234-1234-1234")


async def test_a_catalog_type_becomes_that_event(tmp_path: Path) -> None:
    body = json.dumps(order_event()).encode()
    async with vendor_hub(tmp_path, {"cloudevents": ENTRY}, ENV) as hub:
        bearer = await post(
            hub, "cloudevents", body, STRUCTURED | {"authorization": f"Bearer {TOKEN}"}
        )
        again = await post(hub, "cloudevents", body, STRUCTURED, f"?access_token={TOKEN}")
        wrong = await post(hub, "cloudevents", body, STRUCTURED, "?access_token=nope")
        none = await post(hub, "cloudevents", body, STRUCTURED)
        assert [r.status_code for r in (bearer, again, wrong, none)] == [202, 200, 401, 401]
        [event] = await events_of(hub)
        assert (event["type"], event["company"]) == ("order.created", "USMF")


async def test_batch_mode(tmp_path: Path) -> None:
    body = json.dumps([order_event("B-1"), order_event("B-2"), {"specversion": "1.0"}]).encode()
    batch = {
        "content-type": "application/cloudevents-batch+json",
        "authorization": f"Bearer {TOKEN}",
    }
    async with vendor_hub(tmp_path, {"cloudevents": ENTRY}, ENV) as hub:
        refused = await post(hub, "cloudevents", body, batch)
        assert refused.status_code == 400
        pointers = {e["pointer"] for e in refused.json()["errors"]}
        assert pointers == {"/2/id", "/2/source", "/2/type"}
        good = json.dumps([order_event("B-1"), order_event("B-2")]).encode()
        assert (await post(hub, "cloudevents", good, batch)).status_code == 202
        assert len(await events_of(hub)) == 2


async def test_binary_mode_with_percent_encoded_headers(tmp_path: Path) -> None:
    body = json.dumps(order_data("1002")).encode()
    headers = {"content-type": "application/json", "authorization": f"Bearer {TOKEN}",
               "ce-specversion": "1.0", "ce-id": "C-1", "ce-source": "/shop",
               "ce-type": "com.example.hub.order.created",
               "ce-subject": "Euro%20%E2%82%AC"}  # fmt: skip
    async with vendor_hub(tmp_path, {"cloudevents": ENTRY}, ENV) as hub:
        ok = await post(hub, "cloudevents", body, headers)
        assert ok.status_code == 202, ok.text
        [event] = await events_of(hub)
        assert event["subject"] == "Euro €"
        bad = await post(
            hub, "cloudevents", body, headers | {"ce-id": "C-2", "ce-subject": "%C0%A0"}
        )
        assert bad.status_code == 400
        missing = await post(
            hub, "cloudevents", body, {k: v for k, v in headers.items() if k != "ce-type"}
        )
        assert missing.status_code == 400
        assert missing.json()["errors"][0]["pointer"] == "/headers/ce-type"


@pytest.mark.parametrize(("rate", "expected_rate"), [(None, None), ("120", "*")])
async def test_the_abuse_protection_handshake(
    tmp_path: Path, rate: str | None, expected_rate: str | None
) -> None:
    asked = {"webhook-request-origin": "eventemitter.example.com"}
    if rate:
        asked["webhook-request-rate"] = rate
    async with vendor_hub(tmp_path, {"cloudevents": ENTRY}, ENV) as hub:
        granted = await hub.client.options("/webhooks/cloudevents", headers=asked)
        assert granted.status_code == 200
        assert granted.headers["webhook-allowed-origin"] == "eventemitter.example.com"
        assert granted.headers.get("webhook-allowed-rate") == expected_rate
        assert "POST" in granted.headers["allow"]
        unknown = await hub.client.options("/webhooks/nosuch", headers=asked)
        assert unknown.status_code == 404
        assert "webhook-allowed-origin" not in unknown.headers


async def test_event_grid_validation_is_echoed(tmp_path: Path) -> None:
    body = sample("azure_eventgrid_subscription_validation.json")
    expected = json.loads(sample("azure_eventgrid_subscription_validation_response.json"))
    headers = {"aeg-event-type": "SubscriptionValidation"}
    async with vendor_hub(tmp_path, {"cloudevents": ENTRY}, ENV) as hub:
        echo = await post(hub, "cloudevents", body, headers, f"?access_token={TOKEN}")
        assert (echo.status_code, echo.json()) == (200, expected)


VALID = {"specversion": "1.0", "id": "E-1", "source": "/shop", "type": "com.example.x"}


@pytest.mark.parametrize(
    ("change", "pointer", "rule"),
    [
        ({"id": ""}, "/id", "must not be empty"),
        ({"id": 7}, "/id", "must be a string"),
        ({"source": ""}, "/source", "must not be empty"),
        ({"source": "/a\x07b"}, "/source", "URI-reference"),  # a control character
        ({"source": "/a\u0085b"}, "/source", "URI-reference"),  # a C1 control
        ({"source": "/a%zz"}, "/source", "URI-reference"),
        ({"type": ""}, "/type", "must not be empty"),
        ({"specversion": "0.3"}, "/specversion", "must be 1.0"),
        ({"specversion": None}, "/specversion", "required attribute specversion"),
        ({"time": "2026-11-20T09:30Z"}, "/time", "RFC 3339"),  # no seconds
        ({"time": "2026-11-20T09:30:00"}, "/time", "RFC 3339"),  # no offset
        ({"time": "2026-11-20T09:30:00+0100"}, "/time", "RFC 3339"),  # offset without colon
        ({"time": "2026-11-20T09:30:00+24:00"}, "/time", "RFC 3339"),  # offset out of range
        ({"time": "2026-11-20T09:30:00+05:60"}, "/time", "RFC 3339"),
        ({"time": "2026-02-30T09:30:00Z"}, "/time", "RFC 3339"),
        ({"time": "2026-11-20T25:30:00Z"}, "/time", "RFC 3339"),
        ({"time": 1700000000}, "/time", "must be a string"),
        ({"datacontenttype": ""}, "/datacontenttype", "must not be empty"),
        ({"datacontenttype": "json"}, "/datacontenttype", "RFC 2046"),
        ({"datacontenttype": "application/"}, "/datacontenttype", "RFC 2046"),
        ({"dataschema": ""}, "/dataschema", "must not be empty"),
        ({"dataschema": "/relative/schema"}, "/dataschema", "absolute URI"),
        ({"subject": ""}, "/subject", "must not be empty"),
        ({"Company": "USMF"}, "/Company", "a-z and 0-9"),
        ({"com_example": "x"}, "/com_example", "a-z and 0-9"),
        ({"comexample": 1.5}, "/comexample", "a number with a fraction"),
        ({"comexample": 2**31}, "/comexample", "within 32 bits"),
        ({"comexample": -(2**31) - 1}, "/comexample", "within 32 bits"),
        ({"comexample": {"a": 1}}, "/comexample", "dict"),
        ({"comexample": [1]}, "/comexample", "list"),
        ({"data": {"a": 1}, "data_base64": "eyJhIjoxfQ=="}, "/data_base64", "data or data_base64"),
        ({"data_base64": "not base64!"}, "/data_base64", "base64 text"),
    ],
)
def test_the_spec_attribute_rules(change: dict[str, object], pointer: str, rule: str) -> None:
    found = problems(VALID | change, "/")
    assert [v.pointer for v in found] == [pointer], found
    assert rule in found[0].message


@pytest.mark.parametrize(
    "change",
    [
        {"time": "2026-11-20T09:30:00Z"},
        {"time": "2026-11-20t09:30:00.123456z"},
        {"time": "2026-11-20T09:30:00+05:30"},
        {"time": "2016-12-31T23:59:60Z"},  # a leap second
        {"subject": None, "time": None},  # null is absent
        {"averyveryverylongextensionname": "x"},  # 20 characters is a SHOULD
        {"comexample": 2**31 - 1, "flag": True, "ref": "https://x.example/a"},
        {"datacontenttype": 'text/plain; charset="utf-8"', "data": "hello"},
        {"dataschema": "urn:example:schema:1"},
        {"data_base64": "aGVsbG8="},
    ],
)
def test_valid_events_pass(change: dict[str, object]) -> None:
    assert problems(VALID | change, "/") == []


async def test_an_invalid_event_is_refused_before_the_duplicate_check(tmp_path: Path) -> None:
    # An earlier valid event with the same source and id must not make an invalid one a
    # "200 duplicate": it is refused, and nothing about the first changes.
    headers = STRUCTURED | {"authorization": f"Bearer {TOKEN}"}
    valid = json.dumps(order_event("D-1")).encode()
    invalid = json.dumps(order_event("D-1") | {"time": "yesterday"}).encode()
    async with vendor_hub(tmp_path, {"cloudevents": ENTRY}, ENV) as hub:
        assert (await post(hub, "cloudevents", valid, headers)).status_code == 202
        refused = await post(hub, "cloudevents", invalid, headers)
        assert refused.status_code == 400, refused.text
        assert refused.json()["errors"] == [
            {"pointer": "/time",
             "detail": "time must be an RFC 3339 date-time with seconds and an offset"}
        ]  # fmt: skip
        assert refused.json()["type"].endswith("/invalid-envelope")
        assert len(await events_of(hub)) == 1


BINARY = {"ce-specversion": "1.0", "ce-source": "/erp", "ce-type": "com.example.erp.note"}


@pytest.mark.parametrize(
    "source",
    ["urn:nordwind:crm süd", "/Zürich store", "https://example.com/a b", "urn:x:%C3%BC", "日本/店"],
)
def test_a_source_that_is_an_iri_once_encoded_is_valid(source: str) -> None:
    assert problems(VALID | {"source": source}, "/") == []


async def test_a_binary_source_with_a_space_and_an_umlaut_is_kept_as_sent(tmp_path: Path) -> None:
    headers = BINARY | {
        "ce-id": "S-1",
        "ce-source": "urn:nordwind:crm%20s%C3%BCd",
        "content-type": "application/json",
        "authorization": f"Bearer {TOKEN}",
    }
    async with vendor_hub(tmp_path, {"cloudevents": ENTRY}, ENV) as hub:
        response = await post(hub, "cloudevents", b'{"note": 1}', headers)
        assert response.status_code == 202, response.text
        [event] = await events_of(hub)
    assert event["data"]["payload"]["source"] == "urn:nordwind:crm süd"


@pytest.mark.parametrize(
    ("content_type", "body", "kept"),
    [
        ("text/plain; charset=utf-8", "Grüße".encode(), {"data": "Grüße"}),
        ("application/xml", b'<much wow="xml"/>', {"data": '<much wow="xml"/>'}),
        ("application/vnd.acme+xml", b"<a/>", {"data": "<a/>"}),
        ("application/octet-stream", b"\x00\xff\x10", {"data_base64": "AP8Q"}),
        ("text/plain", b"\xff\xfe", {"data_base64": "//4="}),  # not UTF-8: kept as bytes
        (None, b"", {}),  # no body at all
    ],
)
async def test_binary_mode_takes_any_content_type_and_passes_the_data_on_unchanged(
    tmp_path: Path, content_type: str | None, body: bytes, kept: dict[str, str]
) -> None:
    headers = BINARY | {"ce-id": "N-1", "authorization": f"Bearer {TOKEN}"}
    if content_type is not None:
        headers["content-type"] = content_type
    async with (
        Receiver() as receiver,
        vendor_hub(tmp_path, {"cloudevents": ENTRY}, ENV, receiver, ["hub.unmapped"]) as hub,
    ):
        response = await hub.client.post("/webhooks/cloudevents", content=body, headers=headers)
        assert response.status_code == 202, response.text
        [event] = await events_of(hub)
        delivered = verify_outbound(await receiver.next())
    payload = event["data"]["payload"]
    assert {k: payload[k] for k in ("data", "data_base64") if k in payload} == kept
    assert payload.get("datacontenttype") == content_type
    assert delivered["data"]["payload"] == payload


async def test_a_json_array_in_binary_mode_is_one_event_not_a_batch(tmp_path: Path) -> None:
    headers = BINARY | {"ce-id": "A-1", "content-type": "application/json",
                        "authorization": f"Bearer {TOKEN}"}  # fmt: skip
    async with vendor_hub(tmp_path, {"cloudevents": ENTRY}, ENV) as hub:
        response = await post(hub, "cloudevents", b'[{"a": 1}, 2, "three"]', headers)
        assert response.status_code == 202, response.text
        [event] = await events_of(hub)
    assert event["data"]["payload"]["data"] == [{"a": 1}, 2, "three"]
    assert event["data"]["payload"]["id"] == "A-1"


async def test_the_415_rule_stays_for_json_only_connectors(tmp_path: Path) -> None:
    async with vendor_hub(tmp_path, {"cloudevents": ENTRY}, ENV) as hub:
        plain = {"content-type": "text/plain", "authorization": f"Bearer {TOKEN}"}
        assert (await post(hub, "cloudevents", b"hi", plain)).status_code == 415  # no ce-*
        standard = await hub.client.post(
            "/webhooks/standard", content=b"hi", headers={"content-type": "text/plain"}
        )
        assert standard.status_code == 415
