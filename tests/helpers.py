"""Real parts for tests: the hub and receivers served by uvicorn on loopback ports."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.api.services import Hub
from hub.app import create_app, load_components
from hub.clock import Clock, ManualClock
from hub.config import PROJECT_ROOT, Secret, Settings
from hub.outbound.sender import Sender
from hub.store import Store

CONNECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SUBSCRIBER_SECRET = "whsec_c3Vic2NyaWJlci1zZWNyZXQtZm9yLXRlc3RzLW9ubHk="
ADMIN_TOKEN = "test-admin-token-0123456789"
SCHEMAS = PROJECT_ROOT / "schemas"


def order_data(order_id: str = "1001", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "order_id": order_id,
        "currency": "EUR",
        "total": "25.00",
        "lines": [{"sku": "GEAR-7", "quantity": 2, "unit_price": "12.50"}],
    }
    data.update(extra)
    return data


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    return sock


class Served:
    """An ASGI app under uvicorn on a loopback socket bound before start.

    The socket listens before uvicorn runs, so a client may connect at once: the kernel holds
    the connection until the server (after its lifespan start-up) accepts it. No polling.
    """

    def __init__(self, app: Any) -> None:
        self.sock = listening_socket()
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(
            app, lifespan="on", log_level="warning", access_log=False, ws="none"
        )
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock]))

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task
        self.sock.close()


@dataclass
class Reply:
    """One scripted answer; with `hold`, the answer waits until the test calls `release()`."""

    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    hold: bool = False


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A subscriber endpoint: answers from a script (then 200), records every request.

    Args:
        consent: answer the CloudEvents ``OPTIONS`` handshake granting this origin (``*`` for
            any); None leaves OPTIONS unhandled (405), as most endpoints do.
        echo_code: echo Event Grid-style validation codes; otherwise they get the script's answer.
    """

    def __init__(self, consent: str | None = None, echo_code: bool = False) -> None:
        self.script: deque[Reply] = deque()
        self.received: asyncio.Queue[Received] = asyncio.Queue()
        self.log: list[Received] = []
        self.validations: list[Received] = []
        self.consent = consent
        self.echo_code = echo_code
        self.released = asyncio.Event()
        routes = [Route("/{path:path}", self._handle, methods=["POST"])]
        routes.append(Route("/{path:path}", self._options, methods=["OPTIONS"]))
        self._served = Served(Starlette(routes=routes))

    def url(self, path: str = "hook") -> str:
        return f"{self._served.url}/{path}"

    def respond(self, *replies: Reply) -> None:
        self.script.extend(replies)

    async def _options(self, request: Request) -> Response:
        got = Received(request.url.path, dict(request.headers), b"")
        self.validations.append(got)
        if self.consent is None:
            return Response(status_code=405)
        return Response(
            status_code=200,
            headers={
                "WebHook-Allowed-Origin": self.consent,
                "WebHook-Allowed-Rate": "*",
                "Allow": "POST",
            },
        )

    async def _handle(self, request: Request) -> Response:
        got = Received(request.url.path, dict(request.headers), await request.body())
        if request.headers.get("aeg-event-type") == "SubscriptionValidation":
            self.validations.append(got)
            if not self.echo_code:
                return Response(b"ok", 200)  # a plain endpoint: 200, but no code
            code = got.json()[0]["data"]["validationCode"]
            return Response(json.dumps({"validationResponse": code}), 200)
        self.log.append(got)
        self.received.put_nowait(got)
        reply = self.script.popleft() if self.script else Reply()
        if reply.hold:
            await self.released.wait()
        return Response(reply.body, reply.status, headers=reply.headers)

    def release(self) -> None:
        self.released.set()

    async def next(self, within: float = 10.0) -> Received:
        return await asyncio.wait_for(self.received.get(), within)

    async def __aenter__(self) -> Receiver:
        self._served.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()
        await self._served.stop()


def verify_outbound(received: Received, secret: str = SUBSCRIBER_SECRET) -> Any:
    """Verify with the standardwebhooks package, not with our own code."""
    return Webhook(secret).verify(received.body, received.headers)


def sign_inbound(body: bytes, msg_id: str, timestamp: float, secret: str = CONNECTOR_SECRET) -> str:
    """Sign a request the way a Standard Webhooks sender would (the reference library)."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        # The library signs str only; for invalid UTF-8, the spec's formula by hand.
        key = base64.b64decode(secret.removeprefix("whsec_"))
        mac = hmac.new(key, f"{msg_id}.{int(timestamp)}.".encode() + body, hashlib.sha256)
        return "v1," + base64.b64encode(mac.digest()).decode()
    when = datetime.fromtimestamp(int(timestamp), UTC)
    return str(Webhook(secret).sign(msg_id, when, text))


def subscriptions_yaml(entries: list[dict[str, Any]]) -> str:
    return json.dumps({"subscriptions": entries})


def hub_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings of a test hub in `tmp_path`, with an empty subscriptions file there unless
    the test wrote one (a named file that is missing stops start-up)."""
    subscriptions = tmp_path / "subscriptions.yaml"
    if not subscriptions.exists():
        subscriptions.write_text(subscriptions_yaml([]))
    base = Settings(
        database_url=f"sqlite:///{tmp_path}/hub.db",
        subscriptions=tmp_path / "subscriptions.yaml",
        connectors=tmp_path / "connectors.yaml",
        schemas_dir=SCHEMAS,
        admin_token=Secret(ADMIN_TOKEN),
        connector_secrets={"standard": (Secret(CONNECTOR_SECRET),)},
        poll_interval=0.05,
        allow_targets="127.0.0.0/8,::1/128",  # the receivers and fake APIs of the tests
        rules="off",  # business state is tested on its own (tests/state): no status events here
        drain_seconds=2.0,
        delivery_timeout=2.0,
    )
    return replace(base, **overrides)


class RunningHub:
    """The hub served for real, with an admin client and a signing sender."""

    def __init__(self, app: Any, served: Served, clock: Clock) -> None:
        self.app = app
        self.served = served
        self.clock = clock
        self.client = httpx.AsyncClient(base_url=served.url, timeout=15)
        self.admin = {"authorization": f"Bearer {ADMIN_TOKEN}"}

    @property
    def hub(self) -> Hub:
        hub: Hub = self.app.state.hub
        return hub

    async def send(
        self,
        event_type: str,
        data: dict[str, Any],
        msg_id: str,
        *,
        extra: dict[str, Any] | None = None,
        timestamp: float | None = None,
    ) -> httpx.Response:
        doc = {"type": event_type, "timestamp": "2026-11-20T09:30:00Z", "data": data}
        doc.update(extra or {})
        body = json.dumps(doc).encode()
        return await self.send_raw(body, msg_id, timestamp=timestamp)

    async def send_raw(
        self,
        body: bytes,
        msg_id: str,
        *,
        timestamp: float | None = None,
        headers: dict[str, str] | None = None,
        connector: str = "standard",
    ) -> httpx.Response:
        ts = self.clock.now() if timestamp is None else timestamp
        sent = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(ts)),
            "webhook-signature": sign_inbound(body, msg_id, ts),
        }
        sent.update(headers or {})
        return await self.client.post(f"/webhooks/{connector}", content=body, headers=sent)

    async def get(self, path: str, **params: Any) -> Any:
        response = await self.client.get(path, params=params, headers=self.admin)
        assert response.status_code == 200, response.text
        return response.json()

    async def post(self, path: str, body: Any = None) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.admin)


@asynccontextmanager
async def running_hub(
    settings: Settings,
    env: dict[str, str] | None = None,
    *,
    clock: Clock | None = None,
    sender: Sender | None = None,
    store: Store | None = None,
) -> AsyncIterator[RunningHub]:
    """Serve a hub; with a ManualClock, advancing it wakes the worker."""
    clock = clock or ManualClock(start=datetime.now(UTC).timestamp())
    components = load_components(settings, env or {})
    app = create_app(settings, components, clock=clock, sender=sender, store=store)
    if isinstance(clock, ManualClock):
        clock.listen(lambda: app.state.hub.worker.notify())
        clock.listen(lambda: app.state.hub.tracker.notify())
    served = Served(app)
    served.start()
    running = RunningHub(app, served, clock)
    try:
        ready = await running.client.get("/readyz")
        assert ready.status_code == 200, ready.text
        yield running
    finally:
        await running.client.aclose()
        await served.stop()
