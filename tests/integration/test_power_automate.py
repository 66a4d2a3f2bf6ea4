"""The Power Automate / Logic Apps connector, driven only by its generated definition, as the
platform drives a custom connector: find the trigger, subscribe with the notification URL,
receive a message that matches the trigger's schema, and unsubscribe at the Location."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft4Validator
from openapi_spec_validator import validate

from hub.cli.main import main
from hub.config import PROJECT_ROOT
from hub.integrations.power_automate import BRAND_COLOR
from hub.integrations.swagger import as_draft4
from hub.integrations.triggers import trigger_summary
from tests.helpers import Receiver, RunningHub, hub_settings, order_data, running_hub

RULES = str(PROJECT_ROOT / "rules.yaml")


def resolved(swagger: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A `#/definitions/...` reference followed, as the designer follows it."""
    ref = schema.get("$ref")
    if ref is None:
        return schema
    found: dict[str, Any] = swagger["definitions"][ref.rsplit("/", 1)[1]]
    return found


def operation(swagger: dict[str, Any], summary: str) -> tuple[str, str, dict[str, Any]]:
    for path, methods in swagger["paths"].items():
        for method, op in methods.items():
            if op["summary"] == summary:
                return method, path, op
    raise AssertionError(f"no operation {summary!r}")


def body_for(swagger: dict[str, Any], op: dict[str, Any], callback: str,
             **values: Any) -> dict[str, Any]:  # fmt: skip
    """The body the platform sends: the notification URL where it is marked, the default of
    each required field the maker never sees (internal), and what the maker chose in the
    other fields."""
    [param] = [p for p in op["parameters"] if p["in"] == "body"]
    schema = resolved(swagger, param["schema"])
    body: dict[str, Any] = dict(values)
    for name, prop in schema["properties"].items():
        if prop.get("x-ms-notification-url"):
            assert prop["x-ms-visibility"] == "internal"
            body[name] = callback
        elif prop.get("x-ms-visibility") == "internal" and name in schema["required"]:
            body[name] = prop["default"]
    return body


class Platform:
    """What the platform knows: the definition, the connection's API key, the hub's URL."""

    def __init__(self, hub: RunningHub, swagger: dict[str, Any], key: str) -> None:
        self.hub, self.swagger = hub, swagger
        scheme = swagger["securityDefinitions"]["api_key"]
        self.headers = {scheme["name"]: key}

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = self.swagger["basePath"].rstrip("/") + path
        return await self.hub.client.request(method, url, headers=self.headers, **kwargs)


async def connected(hub: RunningHub) -> Platform:
    answer = await hub.client.get("/integrations/power-automate/apiDefinition.swagger.json")
    assert answer.status_code == 200
    swagger = answer.json()
    validate(swagger)  # Swagger 2.0, as the importer requires
    # A flow's token is made under a partner: its actions read within the partner's allowance.
    partner = {"name": "makers", "types": ["order.*"], "companies": ["*"]}
    assert (await hub.post("/api/partners", partner)).status_code == 201
    token = await hub.post("/api/tokens", {"name": "maker's connection", "partner": "makers"})
    assert token.status_code == 201, token.text
    return Platform(hub, swagger, token.json()["token"])


async def test_a_flow_subscribes_receives_and_unsubscribes_by_the_definition(
    tmp_path: Path,
) -> None:
    settings = hub_settings(tmp_path, rules=RULES)
    async with Receiver(consent="*") as flow, Receiver(consent="*") as generic, \
            running_hub(settings) as hub:  # fmt: skip
        platform = await connected(hub)
        swagger = platform.swagger

        method, path, trigger = operation(swagger, "When an order is shipped")
        assert trigger["x-ms-trigger"] == "single" and method == "post"
        made = await platform.call(method, path, json=body_for(swagger, trigger, flow.url()))
        assert made.status_code == 201, made.text
        location = made.headers["location"]
        unsubscribe = swagger["paths"]["/api/subscriptions/{id}"]["delete"]
        assert unsubscribe["operationId"] == "Unsubscribe"

        # The generic trigger: its dropdown from the dynamic values, its schema dynamic too.
        method, path, any_event = operation(swagger, "When a business event occurs")
        event_prop = resolved(swagger, any_event["parameters"][0]["schema"])["properties"]["event"]
        values = event_prop["x-ms-dynamic-values"]
        listing = await platform.call("get", "/api/event-types")
        choices = [
            item[values["value-path"]] for item in listing.json()[values["value-collection"]]
        ]
        assert "order.shipped" in choices
        made = await platform.call(method, path, json=body_for(
            swagger, any_event, generic.url(), event="order.shipped"))  # fmt: skip
        assert made.status_code == 201, made.text
        dynamic = any_event["x-ms-notification-content"]["schema"]["x-ms-dynamic-schema"]
        asked = await platform.call(
            "get",
            "/api/event-types/order.shipped/message-schema",
            params={"format": dynamic["parameters"]["format"]},
        )
        generic_schema = asked.json()[dynamic["value-path"]]

        shipped = order_data("P-1", carrier="UPS", tracking_number="1Z999")
        assert (await hub.send("order.shipped", shipped, "msg_p1")).status_code == 202
        arrived = await flow.next()
        # The flow is on no Logic Apps host: the connector itself asked for plain JSON.
        assert arrived.headers["content-type"].startswith("application/json")
        got = json.loads(arrived.body)
        content = resolved(swagger, trigger["x-ms-notification-content"]["schema"])
        Draft4Validator(as_draft4(content)).validate(got)
        assert got["data"]["tracking_number"] == "1Z999"
        Draft4Validator(as_draft4(generic_schema)).validate(json.loads((await generic.next()).body))
        assert not Draft4Validator(as_draft4(content)).is_valid({**got, "data": {}})

        gone = await platform.call("delete", location.split(str(hub.client.base_url))[-1])
        assert gone.status_code == 204
        await hub.send("order.shipped", order_data("P-2"), "msg_p2")
        assert json.loads((await generic.next()).body)["data"]["order_id"] == "P-2"
        assert flow.received.empty()  # the fan-out that reached the generic flow skipped it


async def test_a_status_trigger_offers_the_rules_statuses(tmp_path: Path) -> None:
    settings = hub_settings(tmp_path, rules=RULES)
    async with Receiver(consent="*") as flow, running_hub(settings) as hub:
        platform = await connected(hub)
        method, path, trigger = operation(platform.swagger, "When an order's status changes")
        schema = resolved(platform.swagger, trigger["parameters"][0]["schema"])
        statuses = schema["properties"]["filter"]["properties"]["to_status"]["enum"]
        assert {"received", "company_assigned", "shipped", "invoiced"} <= set(statuses)
        body = body_for(platform.swagger, trigger, flow.url(),
                        filter={"to_status": "company_assigned"})  # fmt: skip
        assert (await platform.call(method, path, json=body)).status_code == 201
        order = {**order_data("P-3"), "company": "USMF"}
        await hub.send("order.created", order, "msg_p3")
        got = json.loads((await flow.next()).body)
        assert got["type"] == "order.status_changed"
        assert got["data"]["to_status"] == "company_assigned"  # the begin status was skipped
        content = resolved(platform.swagger, trigger["x-ms-notification-content"]["schema"])
        Draft4Validator(as_draft4(content)).validate(got)


async def test_the_actions_look_up_list_and_replay(tmp_path: Path) -> None:
    settings = hub_settings(tmp_path, rules=RULES)
    async with Receiver(consent="*") as flow, running_hub(settings) as hub:
        platform = await connected(hub)
        method, path, trigger = operation(platform.swagger, "When an order is created")
        made = await platform.call(method, path, json=body_for(platform.swagger, trigger,
                                                               flow.url()))  # fmt: skip
        sub_id = made.json()["id"]
        await hub.send("order.created", {**order_data("P-4"), "company": "USMF"}, "msg_p4")
        await flow.next()
        await hub.hub.tracker.caught_up()
        _, path, _ = operation(platform.swagger, "Find a business object")
        found = await platform.call("get", path.format(type="order", key="P-4"))
        assert found.status_code == 200 and found.json()["status"] == "company_assigned"
        _, path, _ = operation(platform.swagger, "List recent events")
        listed = await platform.call("get", path, params={"type": "order.created", "limit": 5})
        assert [e["data"]["order_id"] for e in listed.json()["items"]] == ["P-4"]
        deliveries = await platform.call("get", "/api/deliveries", params={"subscription": sub_id})
        [delivery] = deliveries.json()["items"]
        _, path, _ = operation(platform.swagger, "Replay a delivery")
        again = await platform.call("post", path.format(id=delivery["id"]), json={})
        assert again.status_code == 202
        assert json.loads((await flow.next()).body)["data"]["order_id"] == "P-4"


def test_export_writes_the_three_files_paconn_takes(tmp_path: Path, capsys: Any,
                                                    monkeypatch: Any) -> None:  # fmt: skip
    monkeypatch.setenv("HUB_PUBLIC_URL", "https://hub.example.com/webhooks-hub")
    assert main(["integrations", "export", "power-automate", str(tmp_path)]) == 0
    swagger = json.loads((tmp_path / "apiDefinition.swagger.json").read_text())
    validate(swagger)
    assert (swagger["host"], swagger["basePath"], swagger["schemes"]) == (
        "hub.example.com", "/webhooks-hub", ["https"])  # fmt: skip
    props = json.loads((tmp_path / "apiProperties.json").read_text())["properties"]
    assert props["iconBrandColor"] == BRAND_COLOR
    assert props["iconBrandColor"].lower() not in ("#007ee5", "#ffffff", "#fff")
    png = (tmp_path / "icon.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (230, 230)
    assert "37 triggers" in capsys.readouterr().out
    for methods in swagger["paths"].values():  # the certification's offline checks
        for op in methods.values():
            assert op["summary"] and op["description"], op["operationId"]
            assert all(p.get("description") for p in op.get("parameters", [])), op["operationId"]
            assert any(code.startswith("2") for code in op["responses"]), op["operationId"]


def test_trigger_summaries_read_as_sentences() -> None:
    assert trigger_summary("order.shipped") == "When an order is shipped"
    assert trigger_summary("order.paid") == "When an order is paid"
    assert trigger_summary("purchase_order.confirmed") == "When a purchase order is confirmed"
    assert trigger_summary("shipment.tracking_updated") == "When a shipment's tracking is updated"
