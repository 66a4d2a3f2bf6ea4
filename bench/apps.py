"""The bare baselines and the receiver, as ASGI apps served by uvicorn like the hub.

* `bare`: read the body, answer 202: the ceiling of a Python endpoint on one worker.
* `receiver`: answer 200 to every POST, recording each arrival (webhook-id, time, path) so
  the harness can compute end-to-end latency and count what each subscriber got; under
  ``/state`` (status events) it records the id of the event that caused the change instead.
"""

from __future__ import annotations

import json
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def _accept(request: Request) -> Response:
    await request.body()
    return Response(b'{"accepted":true}', 202, media_type="application/json")


bare = Starlette(routes=[Route("/{path:path}", _accept, methods=["POST"])])

_arrivals: list[tuple[str, float, str]] = []


async def _receive(request: Request) -> Response:
    body = await request.body()
    arrived = time.time()
    name = request.headers.get("webhook-id", "")
    if request.url.path.startswith("/state"):  # a status event: what caused it is what counts
        name = json.loads(body)["data"].get("trigger_event_id") or name
    _arrivals.append((name, arrived, request.url.path))
    return Response(b"ok", 200)


async def _stats(request: Request) -> Response:
    """Arrivals since the last call (the harness drains them)."""
    taken = list(_arrivals)
    del _arrivals[: len(taken)]
    return JSONResponse(taken)


receiver = Starlette(
    routes=[
        Route("/_arrivals", _stats, methods=["GET"]),
        Route("/{path:path}", _receive, methods=["POST"]),
    ]
)


def paused_hub() -> Starlette:
    """The hub from `HUB_` variables, with delivery paused (for ingest-only measurements)."""
    import os

    from hub.app import create_app, load_components
    from hub.config import load_settings
    from hub.observe import logs

    settings = load_settings(os.environ)
    logs.configure(settings.log_level, settings.log_format, settings.log_buffer)  # as `hub serve`
    return create_app(
        settings, load_components(settings, os.environ), worker_paused=True, settle_heap=True
    )
