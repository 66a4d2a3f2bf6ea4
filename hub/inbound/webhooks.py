"""The inbound route: ``POST /webhooks/{connector}`` and its ``OPTIONS`` handshake.

The body is read with a size cap and a deadline, handed to the ingestor, and answered only
once what it owes is committed: ``202`` with the event ids, ``200`` for a repeat, or an RFC 9457
problem, the refused request kept for admins. Refusals count on the connector's issue; an
accepted webhook resolves its connector's open inbound and schema issues.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from hub.clock import Clock
from hub.config import Settings
from hub.errors import PayloadTooLarge, RequestError, RequestTimeout, SchemaViolation
from hub.inbound.connector import InboundRequest
from hub.inbound.ingest import Ingestor, IngestOutcome
from hub.model import ReceiptStatus
from hub.observe.issues import Issues, inbound_issue
from hub.observe.metrics import Metrics
from hub.observe.request_id import current
from hub.problem import error_response

log = logging.getLogger("hub")

JSON = "application/json"


class InboundServices(Protocol):
    """What the route needs of the running hub (``request.app.state.hub``)."""

    settings: Settings
    clock: Clock
    ingestor: Ingestor
    metrics: Metrics
    issues: Issues


async def read_body(request: Request, limit: int, seconds: float = 30.0) -> bytes:
    """Read the body, refusing early (by Content-Length) or as soon as it passes the limit,
    and a body that trickles in slower than `seconds` in all.

    The deadline is a bare timer that cancels this task, not `asyncio.timeout`: on the
    ingest path that context manager cost 10 µs of the 15 µs it took to read a 1 KB body.

    Raises:
        PayloadTooLarge
        RequestTimeout
    """
    task = asyncio.current_task()
    assert task is not None
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    timer = asyncio.get_running_loop().call_later(seconds, expire)
    try:
        return await _read_capped(request, limit)
    except asyncio.CancelledError:
        if not expired:
            raise
        task.uncancel()
        raise RequestTimeout(f"the body did not arrive within {seconds:g} s") from None
    finally:
        timer.cancel()


async def _read_capped(request: Request, limit: int) -> bytes:
    # Straight from the ASGI messages: Starlette's `stream()` generator cost 4 µs more.
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body of {declared} bytes exceeds the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await request.receive()
        if message["type"] != "http.request":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def receive_webhook(request: Request) -> Response:
    """``POST /webhooks/{connector}``: 202 once committed, 200 for a repeat, else a problem."""
    hub: InboundServices = request.app.state.hub
    name = request.path_params["connector"]
    now = hub.clock.now()
    headers = dict(request.headers)
    request_id = current(request.scope)
    body = b""
    quiet = False
    # Metric labels stay bounded: a name no connector has is "unknown", whatever was posted.
    label = name if hub.ingestor.known(name) else "unknown"
    try:
        quiet = hub.ingestor.connector(name).quiet
        body = await read_body(request, hub.settings.max_body_bytes, hub.settings.body_timeout)
        query = dict(request.query_params) if request.scope["query_string"] else {}
        inbound = InboundRequest(name, headers, query, body, now, request_id)
        outcome = await hub.ingestor.receive(inbound, headers.get("content-type", ""))
    except RequestError as exc:
        rejection_id = await hub.ingestor.reject(name, headers, body, now, exc, request_id)
        hub.metrics.received(label, "refused")
        if label != "unknown":  # a scan of made-up names is not an issue of ours
            await hub.issues.failed(inbound_issue(name, exc), _issue_detail(exc))
        log.info(
            "refused %s webhook: %s %s", name[:64], exc.status, exc.title,
            extra={"connector": label, "status": exc.status, "rejection_id": rejection_id},
        )  # fmt: skip
        if quiet:  # the vendor wants the verdict in the status alone (Xero)
            return Response(status_code=exc.status)
        return error_response(exc, request.url.path, rejection_id)
    if outcome.reply is not None:
        reply = outcome.reply
        return Response(reply.body, reply.status, dict(reply.headers), reply.media_type)
    hub.metrics.received(label, received_outcome(outcome))
    if not outcome.duplicate and hub.issues.any_live:
        await _recovered(hub, name, outcome.types)
    if quiet:
        return Response(status_code=200)
    return Response(render_outcome(outcome), 200 if outcome.duplicate else 202, media_type=JSON)


def _issue_detail(exc: RequestError) -> str:
    # The problem's title, or a schema's first complaint: never the request's own text,
    # which the rejection keeps redacted.
    if isinstance(exc, SchemaViolation) and exc.violations:
        first = exc.violations[0]
        return f"{first.pointer}: {first.message}"[:200]
    return exc.title


async def _recovered(hub: InboundServices, connector: str, types: tuple[str, ...]) -> None:
    await hub.issues.recovered(("inbound",), connector)
    for event_type in set(types):
        await hub.issues.recovered(("schema",), f"{connector}/{event_type}")


def received_outcome(outcome: IngestOutcome) -> str:
    """The ``outcome`` label of an acknowledged webhook."""
    if outcome.duplicate:
        return "duplicate"
    return "quarantined" if outcome.status is ReceiptStatus.QUARANTINED else "accepted"


def render_outcome(outcome: IngestOutcome) -> bytes:
    """The ack: event ids, and for a first delivery the receipt and what became of it."""
    answer: dict[str, object] = {"event_ids": outcome.event_ids}
    if not outcome.duplicate:
        answer |= {"receipt_id": outcome.receipt_id, "status": str(outcome.status)}
    if outcome.reason is not None:
        answer["reason"] = outcome.reason
    answer["duplicate"] = outcome.duplicate
    return orjson.dumps(answer)


async def grant_webhook(request: Request) -> Response:
    """``OPTIONS /webhooks/{connector}``: the CloudEvents webhook abuse-protection handshake.

    A sender asks whether it may deliver here; consent is carried by the headers alone. Any
    enabled connector grants it: authenticity is still checked on every POST.
    """
    hub: InboundServices = request.app.state.hub
    hub.ingestor.connector(request.path_params["connector"])
    origin = request.headers.get("webhook-request-origin")
    if not origin:
        return Response(status_code=204, headers={"Allow": "POST, OPTIONS"})
    granted = {"WebHook-Allowed-Origin": origin[:255], "Allow": "POST"}
    if "webhook-request-rate" in request.headers:
        granted["WebHook-Allowed-Rate"] = "*"
    return Response(status_code=200, headers=granted)
