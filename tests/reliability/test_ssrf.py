"""SSRF through the running hub: targets and fetches reach only public addresses unless
allowlisted, whoever registered them and whatever the vendor payload says."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from hub.inbound.fetcher import Fetcher, FetchError, FetchSettings
from hub.outbound import consent
from hub.outbound.sender import SendError, build_sender
from hub.outbound.ssrf import AddressPolicy, guarded_client, parse_address_policy
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


# Numeric IPv4 spellings are refused by the URL check itself, even where the network they
# spell is allowlisted (as loopback is for these tests).
NUMERIC = ["127.1", "2130706433", "0x7f.1", "0177.0.0.1", "0x7f000001", "127.0.0.01"]
# IPv6 that carries a loopback IPv4 is refused by the address policy, judged by the IPv4.
EMBEDDED = [
    "[64:ff9b::7f00:1]", "[64:ff9b:1:7f00:0:100::]", "[2002:7f00:1::]", "[::127.0.0.1]",
    "[::ffff:0:127.0.0.1]", "[::ffff:127.0.0.1]", "[2001:0:5db8:5db8:0:0:80ff:fffe]",
]  # fmt: skip


class Connections:
    """Counts every outbound connection the event loop is asked to open, and every one a
    loopback listener accepts: the proof that a refusal came before any socket."""

    def __init__(self) -> None:
        self.opened: list[object] = []
        self.accepted = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> Connections:
        loop = asyncio.get_running_loop()
        self._create, self._sock = loop.create_connection, loop.sock_connect

        async def create_connection(*args: Any, **kwargs: Any) -> Any:
            self.opened.append(args[1:3])
            return await self._create(*args, **kwargs)

        async def sock_connect(sock: Any, address: Any) -> None:
            self.opened.append(address)
            await self._sock(sock, address)

        loop.create_connection = create_connection  # type: ignore[method-assign]
        loop.sock_connect = sock_connect  # type: ignore[method-assign]

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.accepted += 1
            writer.close()

        self.server = await asyncio.start_server(accept, "127.0.0.1", 0)
        return self

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def __aexit__(self, *exc: object) -> None:
        loop = asyncio.get_running_loop()
        loop.create_connection, loop.sock_connect = self._create, self._sock  # type: ignore[method-assign]
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


def policy_for(host: str) -> AddressPolicy:
    return parse_address_policy("127.0.0.0/8" if host in NUMERIC else "")


@pytest.mark.parametrize("host", NUMERIC + EMBEDDED)
@pytest.mark.parametrize("client", ["aiohttp", "httpx"])
async def test_delivery_refuses_every_spelling_before_a_socket_opens(
    host: str, client: str
) -> None:
    async with Connections() as seen:
        sender = build_sender(client, 4, policy_for(host))
        try:
            with pytest.raises(SendError, match="refused"):
                await sender.post(f"http://{host}:{seen.port}/hook", b"{}", {}, 2.0)
        finally:
            await sender.aclose()
    assert (seen.opened, seen.accepted) == ([], 0)


@pytest.mark.parametrize("host", NUMERIC + EMBEDDED)
async def test_fetch_and_consent_refuse_every_spelling_before_a_socket_opens(host: str) -> None:
    async with Connections() as seen:
        url = f"http://{host}:{seen.port}/shipments"
        client = guarded_client(policy_for(host))
        try:
            allowed = frozenset({f"{host}:{seen.port}", host.strip("[]")})
            fetcher = Fetcher(FetchSettings(allowed_hosts=allowed), client)
            with pytest.raises(FetchError, match="refus"):
                await fetcher.get_json(url)
            verdict = await consent.handshake(client, url, "webhook-hub", 2.0)
            assert verdict.method is None and "refused" in verdict.detail
        finally:
            await client.aclose()
    assert (seen.opened, seen.accepted) == ([], 0)


@pytest.mark.parametrize("host", NUMERIC)
async def test_registration_refuses_a_numeric_spelling_naming_the_field(
    tmp_path: Path, host: str
) -> None:
    async with running_hub(hub_settings(tmp_path)) as hub:
        for key in ("url", "target_url", "callbackUrl"):
            answer = await hub.post("/api/subscriptions", {key: f"http://{host}:9/h", "event": "*"})
            assert answer.status_code == 422, answer.text
            [error] = answer.json()["errors"]
            assert error["pointer"] == f"/{key}" and "non-canonical" in error["detail"]


async def test_a_signed_notification_with_an_unparsable_resource_url_is_quarantined(
    tmp_path: Path,
) -> None:
    # httpx cannot parse this URL at all; it used to escape as a 500, neither acked nor kept.
    async with FakeApi({"/shipments": {"shipments": []}}) as api:
        port = api.url.rpartition(":")[2]
        entry = {"secrets": ["env:SS"], "fetch": {"allowed_hosts": [f"0177.0.0.1:{port}"]}}
        body = json.dumps({"resource_url": f"http://0177.0.0.1:{port}/shipments?batchId=1",
                           "resource_type": "SHIP_NOTIFY"}).encode()  # fmt: skip
        (tmp_path / "connectors.yaml").write_text(
            json.dumps({"connectors": {"shipstation": entry}})
        )
        async with running_hub(hub_settings(tmp_path), {"SS": "s3cret"}) as hub:
            response = await post(hub, "shipstation", body, {}, "?secret=s3cret")
            assert response.status_code == 202, response.text
            assert response.json()["status"] == "quarantined"
            assert "non-canonical" in response.json()["reason"]
            kept = await hub.get("/api/receipts", status="quarantined")
            assert [r["reason"] for r in kept["items"]] == [response.json()["reason"]]
        assert api.seen == []
