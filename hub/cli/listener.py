"""A demo receiver for trying the hub out: verifies each delivery's signature and prints it.

``hub listen --port 9000`` stands in for a subscriber in the README walk-through. It verifies
with the subscription secret (``HUB_DEMO_SUBSCRIPTION_SECRET`` by default), answers the status
it was told to, and prints one line per delivery.
"""

from __future__ import annotations

import json
import socket
import sys
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub import signing
from hub.errors import InvalidSignature


def listener_app(secret: str, status: int) -> Starlette:
    """A receiver that checks Standard Webhooks signatures and answers `status`."""
    keys = [signing.decode_secret(secret)]

    async def receive(request: Request) -> Response:
        body = await request.body()
        try:
            signing.verify(keys, dict(request.headers), body, time.time())
        except InvalidSignature as exc:
            print(f"REFUSED {request.url.path}: {exc.detail}", flush=True)
            return JSONResponse({"error": exc.detail}, 401)
        event = json.loads(body)
        print(
            f"{status} {request.url.path} {event.get('type')} {event.get('subject')} "
            f"id={event.get('id')} signature=valid",
            flush=True,
        )
        return JSONResponse({"received": event.get("id")}, status)

    return Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])


def run(sock: socket.socket, secret: str, status: int) -> None:
    """Serve the demo receiver on an already bound socket (a port in use is the caller's line)."""
    import uvicorn

    port = sock.getsockname()[1]
    print(f"listening on http://127.0.0.1:{port}/ (answering {status})", file=sys.stderr)
    config = uvicorn.Config(listener_app(secret, status), log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])
