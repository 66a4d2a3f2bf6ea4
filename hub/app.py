"""The ASGI application: wiring, lifespan, the inbound webhook route and health checks."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from hub import heap
from hub.api import openapi, tokens
from hub.api.arrivals import Arrivals
from hub.api.audit import AuditTrail
from hub.api.auth import AdminAuth
from hub.api.metrics import serve_metrics
from hub.api.registration import from_document
from hub.api.routes import ROUTES as API_ROUTES
from hub.api.services import Hub
from hub.api.tokens import TokenRegistry
from hub.catalog import Catalog, load_catalog
from hub.clock import Clock, SystemClock
from hub.config import PROJECT_ROOT, Settings
from hub.errors import (
    ConfigError,
    HubError,
    PayloadTooLarge,
    RequestError,
    RequestTimeout,
    SchemaViolation,
    ServiceUnavailable,
    StoreUnavailable,
)
from hub.inbound.connector import Connector, ConnectorConfig, InboundRequest, discover
from hub.inbound.connector_settings import load_connector_settings, secrets_of
from hub.inbound.fetcher import Fetcher
from hub.inbound.ingest import IngestLimits, Ingestor, IngestOutcome
from hub.integrations import power_automate
from hub.model import ReceiptStatus
from hub.observe.issues import Issues, inbound_issue
from hub.observe.metrics import Metrics
from hub.observe.request_id import RequestIds, current
from hub.outbound.sender import Sender, build_sender
from hub.outbound.ssrf import guarded_client, parse_address_policy
from hub.outbound.subscriptions import Subscription, SubscriptionRegistry
from hub.outbound.subscriptions_file import load_subscriptions
from hub.outbound.worker import DeliveryWorker, WorkerSettings
from hub.problem import error_response, on_http_exception, on_hub_error, on_unexpected
from hub.state.rules import Rules, load_rules
from hub.state.tracker import StateTracker, TrackerSettings
from hub.store import Store, check_location, open_store

log = logging.getLogger("hub")

JSON = "application/json"

ADMIN_TOKEN_KEY = "admin_token_sha256"


@dataclass(frozen=True)
class Components:
    """What start-up loads from files before serving; any error here stops start-up."""

    catalog: Catalog
    connectors: Mapping[str, Connector]
    subscriptions: list[Subscription]
    connector_configs: Mapping[str, ConnectorConfig] = field(default_factory=dict)
    rules: Rules = field(default_factory=Rules)


def load_components(
    settings: Settings, env: Mapping[str, str], warnings: list[str] | None = None
) -> Components:
    """Check the store's location and load the catalog, the connectors and the subscriptions.

    Args:
        warnings: when given (`hub check`), what start-up would refuse but a check only
            reports lands here: secrets whose ``env:`` variable is unset.

    Raises:
        ConfigError: naming the file, the line and the entry at fault.
    """
    check_location(settings.database_url)
    # Read here, so that `hub check` refuses exactly what `hub serve` would.
    parse_address_policy(settings.allow_targets)
    if not settings.subscriptions.is_file():
        raise ConfigError(missing_subscriptions(settings.subscriptions))
    catalog = load_catalog(settings.schemas_dir)
    connectors = discover()
    unknown = sorted(set(settings.connector_secrets) - set(connectors))
    if unknown:
        raise ConfigError(
            f"HUB_CONNECTOR_{unknown[0].upper()}_SECRET: there is no connector "
            f"{unknown[0]!r} (connectors: {', '.join(sorted(connectors))})"
        )
    return Components(
        catalog=catalog,
        connectors=connectors,
        subscriptions=load_subscriptions(settings.subscriptions, env, catalog, warnings),
        connector_configs=load_connector_settings(
            settings.connectors, connectors, env, settings.connector_secrets
        ),
        rules=load_rules(rules_path(settings.rules), catalog),
    )


def missing_subscriptions(path: Path) -> str:
    """The one line for a subscriptions file that is not there, with the likely mix-up if
    there is one (``subscriptions.yml`` for ``.yaml``): a hub that started without its
    subscriptions would answer 202 and deliver nothing."""
    if path.is_dir():
        return f"HUB_SUBSCRIPTIONS: {path} is a directory, not a file"
    twins = {".yaml": ".yml", ".yml": ".yaml"}
    twin = path.with_suffix(twins[path.suffix]) if path.suffix in twins else None
    hint = f"; did you mean {twin}?" if twin is not None and twin.is_file() else ""
    return f"HUB_SUBSCRIPTIONS: {path} does not exist (an empty file means none){hint}"


def rules_path(setting: str) -> Path | None:
    """``HUB_RULES``: a rules file, or ``off``; the repository's default may be absent."""
    if setting.strip().lower() in ("", "off", "none"):
        return None
    path = Path(setting)
    if not path.exists() and path == PROJECT_ROOT / "rules.yaml":
        return None
    return path


def _configs(settings: Settings, components: Components) -> dict[str, ConnectorConfig]:
    """Connector settings; tests that build Components by hand get the settings' secrets."""
    configs = dict(components.connector_configs)
    for name in components.connectors:
        if name not in configs:
            configs[name] = ConnectorConfig(name, secrets=settings.connector_secrets.get(name, ()))
    return configs


async def _admin_token_hash(store: Store, settings: Settings) -> str:
    """The admin token's hash: from HUB_ADMIN_TOKEN, or one made on first start and shown once."""
    if settings.admin_token is not None:
        return tokens.token_hash(settings.admin_token.reveal())
    stored = await store.get_meta(ADMIN_TOKEN_KEY)
    if stored is not None:
        return stored
    token = await _new_admin_token(store)
    digest = tokens.token_hash(token)
    # The one time this token is ever shown: only its hash is kept.
    sys.stdout.write(
        "\n  No HUB_ADMIN_TOKEN was set, so the hub created an admin token.\n"
        "  It is shown once and stored only as a hash; keep it:\n\n"
        f"    export HUB_ADMIN_TOKEN={token}\n\n"
    )
    sys.stdout.flush()
    return digest


async def _new_admin_token(store: Store) -> str:
    """Make an admin token and keep its hash, replacing any before it."""
    token = "hub_" + secrets.token_urlsafe(32)
    await store.set_meta(ADMIN_TOKEN_KEY, tokens.token_hash(token))
    return token


async def rotate_admin_token(settings: Settings) -> str:
    """A new stored admin token for the database of `settings` (`hub admin-token rotate`).

    Raises:
        ConfigError: the database cannot be opened, or a running hub holds it.
    """
    check_location(settings.database_url)
    store = open_store(settings.database_url, settings.commit_batch)
    try:
        await store.open()
    except ConfigError as exc:  # held by a running hub: it would keep its token in memory
        raise ConfigError(f"{exc.detail}; stop the hub, then rotate") from None
    try:
        return await _new_admin_token(store)
    finally:
        await store.close()


def create_app(
    settings: Settings,
    components: Components,
    *,
    clock: Clock | None = None,
    store: Store | None = None,
    sender: Sender | None = None,
    worker_paused: bool = False,
    settle_heap: bool = False,
) -> Starlette:
    """Build the hub application; services start in its lifespan.

    Args:
        settings: read once at start-up.
        components: catalog, connectors and subscriptions, already validated.
        clock, store, sender: seams that tests replace; built from settings when omitted.
        worker_paused: start with delivery paused (benchmarks of ingest alone).
        settle_heap: tune the garbage collector once started (`hub.heap`); for the entry
            point of a serving process only, since it is process-wide.
    """

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        the_clock = clock or SystemClock()
        metrics = Metrics(enabled=settings.metrics == "on")
        the_store = store or open_store(
            settings.database_url, settings.commit_batch, metrics.commit_batch
        )
        policy = parse_address_policy(settings.allow_targets)
        the_sender = sender or build_sender(
            settings.http_client, settings.worker_concurrency, policy
        )
        configs = _configs(settings, components)
        # One client for the connectors' API fetches; it never follows redirects.
        fetch_client = guarded_client(policy)
        fetchers = {
            name: Fetcher(config.fetch, fetch_client)
            for name, config in configs.items()
            if config.fetch is not None
        }
        try:
            await the_store.open()
        except ConfigError as exc:
            app.state.startup_error = exc.detail  # `hub.cli.server` prints it as one line
            raise
        try:
            registry = SubscriptionRegistry(
                [*components.subscriptions, *await _api_subscriptions(the_store)],
                await the_store.disabled_subscriptions(),
                await the_store.subscription_health(),
            )
            arrivals = Arrivals()
            token_registry = TokenRegistry(
                [tokens.from_document(doc) for _, doc in await the_store.list_documents("token")]
            )
            issues = Issues(the_store, the_clock.now)
            await issues.load()
            worker = DeliveryWorker(
                the_store,
                registry,
                the_sender,
                the_clock,
                _worker_settings(settings),
                metrics=metrics,
                issues=issues,
            )
            worker.paused = worker_paused
            limits = IngestLimits(
                settings.timestamp_tolerance, settings.rejection_body_cap, settings.rejections_max
            )
            ingestor = Ingestor(
                components.connectors,
                configs,
                components.catalog,
                registry,
                the_store,
                limits,
                on_commit=worker.notify,
                redact=[
                    *settings.all_secrets(),
                    *secrets_of(configs),
                    *(secret for sub in components.subscriptions for secret in sub.secrets),
                ],
                fetchers=fetchers,
                on_events=lambda: _both(arrivals.notify, tracker.notify),
                clock=the_clock.now,
                metrics=metrics,
            )
            worker.emit_with(ingestor.emit)
            issues.emit_with(ingestor.emit)
            tracker = StateTracker(
                the_store,
                components.rules,
                the_clock,
                ingestor.prepare,
                ingestor.committed,
                TrackerSettings(poll_interval=settings.poll_interval),
            )
            app.state.hub = Hub(
                settings,
                the_clock,
                the_store,
                components.catalog,
                registry,
                ingestor,
                worker,
                await _admin_token_hash(the_store, settings),
                token_registry,
                fetch_client,
                arrivals,
                components.rules,
                tracker,
                metrics,
                issues,
            )
            worker.start()
            tracker.start()
            if settle_heap:
                heap.settle()
            try:
                yield
            finally:
                await tracker.stop()
                await worker.stop()
        finally:
            await the_sender.aclose()
            await fetch_client.aclose()
            await the_store.close()

    routes = [
        Route("/webhooks/{connector}", receive_webhook, methods=["POST"]),
        Route("/webhooks/{connector}", grant_webhook, methods=["OPTIONS"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/metrics", serve_metrics, methods=["GET"]),
        Route(
            "/integrations/power-automate/apiDefinition.swagger.json",
            power_automate_json,
            methods=["GET"],
        ),
        Mount(
            "/api",
            routes=API_ROUTES,
            middleware=[Middleware(AdminAuth), Middleware(AuditTrail)],
        ),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(RequestIds)],
        lifespan=lifespan,
        exception_handlers={
            HubError: on_hub_error,
            HTTPException: on_http_exception,
            Exception: on_unexpected,
        },
    )


def _both(first: Callable[[], None], second: Callable[[], None]) -> None:
    first()
    second()


async def _api_subscriptions(store: Store) -> list[Subscription]:
    """Subscriptions registered over the API, as stored."""
    return [from_document(doc) for _, doc in await store.list_documents("subscription")]


def _worker_settings(settings: Settings) -> WorkerSettings:
    return WorkerSettings(
        concurrency=settings.worker_concurrency,
        batch=settings.worker_batch,
        lease_seconds=settings.lease_seconds,
        poll_interval=settings.poll_interval,
        drain_seconds=settings.drain_seconds,
        default_timeout=settings.delivery_timeout,
        origin=settings.origin,
        disable_after=settings.disable_after,
    )


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
    hub: Hub = request.app.state.hub
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


async def _recovered(hub: Hub, connector: str, types: tuple[str, ...]) -> None:
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
    hub: Hub = request.app.state.hub
    hub.ingestor.connector(request.path_params["connector"])
    origin = request.headers.get("webhook-request-origin")
    if not origin:
        return Response(status_code=204, headers={"Allow": "POST, OPTIONS"})
    granted = {"WebHook-Allowed-Origin": origin[:255], "Allow": "POST"}
    if "webhook-request-rate" in request.headers:
        granted["WebHook-Allowed-Rate"] = "*"
    return Response(status_code=200, headers=granted)


async def healthz(request: Request) -> Response:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Readiness: the store answers and the delivery worker runs."""
    hub: Hub = request.app.state.hub
    try:
        await hub.store.ping()
    except StoreUnavailable as exc:
        return error_response(exc, request.url.path)
    if not hub.worker.alive:
        return error_response(ServiceUnavailable("the delivery worker is not running"))
    return JSONResponse({"status": "ready"})


async def openapi_json(request: Request) -> Response:
    """The OpenAPI document of every route (no token: it describes, it reveals nothing)."""
    return JSONResponse(openapi.document())


async def power_automate_json(request: Request) -> Response:
    """The custom connector's definition (no token: an importer fetches it by URL, and it
    holds the catalog and status names only). Its host is HUB_PUBLIC_URL, else this request's."""
    hub: Hub = request.app.state.hub
    base = hub.settings.public_url or str(request.base_url)
    return JSONResponse(power_automate.definition(hub.catalog, hub.rules, base))


def default_app() -> Starlette:
    """For ``uvicorn hub.app:default_app --factory``: settings from the environment, and
    logging as ``hub serve`` sets it up."""
    from hub.config import load_settings
    from hub.observe import logs

    settings = load_settings(os.environ)
    logs.configure(settings.log_level, settings.log_format, settings.log_buffer)
    return create_app(settings, load_components(settings, os.environ), settle_heap=True)
