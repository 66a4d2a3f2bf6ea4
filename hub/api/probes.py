"""Liveness and readiness, for load balancers and orchestrators (no token).

``/healthz`` says the process answers. ``/readyz`` says the store answers and each background
loop runs, naming each (``{"status": "ready", "tasks": {"delivery": "running", ...}}``); a
loop that stopped or waits to restart after a failure makes it ``503``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hub.api.params import hub_of
from hub.background import TaskState
from hub.errors import ServiceUnavailable, StoreUnavailable
from hub.problem import error_response

WORKING = (TaskState.RUNNING, TaskState.OFF)  # off: the state tracker, with no rules


async def healthz(request: Request) -> Response:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Readiness: the store answers and every background loop runs."""
    hub = hub_of(request)
    try:
        await hub.store.ping()
    except StoreUnavailable as exc:
        return error_response(exc, request.url.path)
    loops = (hub.worker.task, hub.tracker.task, hub.indexer.task)
    tasks = {task.name: task.state for task in loops}
    for name, state in tasks.items():
        if state not in WORKING:
            problem = ServiceUnavailable(f"the {name} loop is {state}")
            return error_response(problem, request.url.path)
    return JSONResponse({"status": "ready", "tasks": {k: str(v) for k, v in tasks.items()}})
