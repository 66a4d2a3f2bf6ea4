"""SSRF through the running hub: targets and fetches reach only public addresses unless
allowlisted, whoever registered them and whatever the vendor payload says."""

from __future__ import annotations

import json
from pathlib import Path

from tests.connectors.fakes import FakeApi
from tests.connectors.kit import post
from tests.helpers import Receiver, hub_settings, order_data, running_hub


async def test_a_loopback_target_is_refused_at_delivery_and_validation(tmp_path: Path) -> None:
    async with (
        Receiver(consent="*") as target,
        running_hub(hub_settings(tmp_path, allow_targets="")) as hub,
    ):
        validated = await hub.post("/api/subscriptions", {"url": target.url(), "event": "order.*"})
        assert validated.json()["state"] == "pending_validation"
        assert "refused" in validated.json()["validation"]
        skipped = await hub.post("/api/subscriptions", {"url": target.url(), "event": "order.*",
                                                        "skip_validation": True})  # fmt: skip
        await hub.send("order.created", order_data("S-1"), "msg_s1")
        await hub.hub.worker.wait_recorded(1)
        [delivery] = (await hub.get("/api/deliveries", subscription=skipped.json()["id"]))["items"]
        attempt = (await hub.get(f"/api/deliveries/{delivery['id']}"))["attempts"][0]
        assert "refused" in attempt["error"] and attempt["status_code"] is None
        assert target.log == [] and target.validations == []  # nothing ever reached it


async def test_a_connector_fetch_to_loopback_is_refused_without_the_allowlist(
    tmp_path: Path,
) -> None:
    async with FakeApi({"/shipments": {"shipments": []}}) as api:
        host = api.url.removeprefix("http://")
        entry = {"secrets": ["env:SS"], "fetch": {"allowed_hosts": [host]}}
        body = json.dumps({"resource_url": f"{api.url}/shipments?batchId=1",
                           "resource_type": "SHIP_NOTIFY"}).encode()  # fmt: skip
        settings_env = {"SS": "s3cret"}
        (tmp_path / "connectors.yaml").write_text(
            json.dumps({"connectors": {"shipstation": entry}})
        )
        async with running_hub(hub_settings(tmp_path, allow_targets=""), settings_env) as hub:
            response = await post(hub, "shipstation", body, {}, "?secret=s3cret")
            assert response.json()["status"] == "quarantined"
            assert "refused" in response.json()["reason"]
        assert api.seen == []
