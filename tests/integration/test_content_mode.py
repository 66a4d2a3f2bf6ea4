"""`content_mode: json`: the same signed CloudEvent, as application/json, for designers that
parse only that; the default for Power Automate and Logic Apps callbacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from standardwebhooks import Webhook

from hub.outbound.subscriptions import default_content_mode
from tests.helpers import Receiver, hub_settings, order_data, running_hub
from tests.integration.test_subscriptions_api import subscribe


@pytest.mark.parametrize(
    ("url", "mode"),
    [
        ("https://prod-27.westeurope.logic.azure.com:443/workflows/abc/triggers/manual", "json"),
        ("https://prod-03.usgovtexas.logic.azure.us/workflows/abc", "json"),
        ("https://default12.ab.environment.api.powerplatform.com/powerautomate/x", "json"),
        ("https://hooks.zapier.com/hooks/standard/1/2", "cloudevents"),
        ("https://logic.azure.com.attacker.example/workflows", "cloudevents"),
        ("https://erp.example.com/hooks", "cloudevents"),
        ("not a url", "cloudevents"),
    ],
)
def test_callback_hosts_decide_the_default(url: str, mode: str) -> None:
    assert default_content_mode(url) == mode


async def test_json_mode_delivers_the_same_signed_cloudevent_as_json(tmp_path: Path) -> None:
    async with Receiver(consent="*") as flow, running_hub(hub_settings(tmp_path)) as hub:
        made = await subscribe(hub, {"callbackUrl": flow.url(), "events": ["order.created"],
                                     "content_mode": "json"})  # fmt: skip
        assert made.status_code == 201, made.text
        doc = made.json()
        assert doc["content_mode"] == "json"
        await hub.send("order.created", order_data("J-1"), "msg_j1")
        got = await flow.next()
        assert got.headers["content-type"] == "application/json; charset=utf-8"
        event = Webhook(doc["secret"]).verify(got.body, got.headers)
        assert event["specversion"] == "1.0" and event["data"]["order_id"] == "J-1"

        url = f"/api/subscriptions/{doc['id']}"
        back = await hub.client.patch(url, json={"content_mode": "cloudevents"},
                                      headers=hub.admin)  # fmt: skip
        assert back.status_code == 200 and back.json()["content_mode"] == "cloudevents"
        await hub.send("order.created", order_data("J-2"), "msg_j2")
        again = await flow.next()
        assert again.headers["content-type"].startswith("application/cloudevents+json")
        assert Webhook(doc["secret"]).verify(again.body, again.headers)["data"]["order_id"] == "J-2"

        bad = await hub.client.patch(url, json={"content_mode": "xml"}, headers=hub.admin)
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        assert "content_mode" in bad.text and "cloudevents, json" in bad.text


async def test_json_mode_survives_a_restart(tmp_path: Path) -> None:
    settings = hub_settings(tmp_path)
    async with Receiver(consent="*") as flow:
        async with running_hub(settings) as hub:
            made = await subscribe(hub, {"url": flow.url(), "event": "order.created",
                                         "content_mode": "json"})  # fmt: skip
            sub_id = made.json()["id"]
        async with running_hub(settings) as hub:
            assert (await hub.get(f"/api/subscriptions/{sub_id}"))["content_mode"] == "json"
            await hub.send("order.created", order_data("J-3"), "msg_j3")
            assert (await flow.next()).headers["content-type"].startswith("application/json")


async def test_a_batch_without_its_size_is_a_422_not_a_500(tmp_path: Path) -> None:
    """Found by schemathesis once the per-type subscribe route took the same body."""
    async with Receiver(consent="*") as target, running_hub(hub_settings(tmp_path)) as hub:
        for path in ("/api/subscriptions", "/api/event-types/order.created/subscriptions"):
            body = {"url": target.url(), "batch": {}}
            if path == "/api/subscriptions":
                body["event"] = "order.created"
            refused = await subscribe(hub, body) if path == "/api/subscriptions" else (
                await hub.client.post(path, json=body, headers=hub.admin))  # fmt: skip
            assert refused.status_code == 422, refused.text
            assert "/batch" in refused.text
        made = await subscribe(hub, {"url": target.url(), "event": "order.created"})
        patched = await hub.client.patch(f"/api/subscriptions/{made.json()['id']}",
                                         json={"batch": {}}, headers=hub.admin)  # fmt: skip
        assert patched.status_code == 422, patched.text
