"""The ASGI application's wiring: the configuration loaded at start-up (`load_components`), the
routes, and the lifespan that opens the store, builds the services (`services`) and runs the
background loops (`background`). Handlers live with their packages: the webhook route in
`hub.inbound.webhooks`, the API, probes and published documents in `hub.api`."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route

from hub import heap
from hub.access import partners, portal
from hub.access.partners import Partner, PartnerRegistry, load_partners
from hub.access.portal import PortalLinks
from hub.api import tokens
from hub.api.arrivals import Arrivals
from hub.api.audit import AuditTrail
from hub.api.auth import AdminAuth
from hub.api.metrics import serve_metrics
from hub.api.probes import healthz, readyz
from hub.api.published import openapi_json, power_automate_json
from hub.api.registration import from_document
from hub.api.routes import ROUTES as API_ROUTES
from hub.api.services import Hub
from hub.api.tokens import TokenRegistry
from hub.catalog import Catalog, load_catalog
from hub.clock import Clock, SystemClock
from hub.config import PROJECT_ROOT, Settings
from hub.console.routes import ROUTES as CONSOLE_ROUTES
from hub.errors import (
    ConfigError,
    HubError,
)
from hub.inbound.connector import Connector, ConnectorConfig, discover
from hub.inbound.connector_settings import load_connector_settings, secrets_of
from hub.inbound.fetcher import Fetcher
from hub.inbound.ingest import IngestLimits, Ingestor
from hub.inbound.webhooks import grant_webhook, receive_webhook
from hub.observe.issues import Issues
from hub.observe.metrics import Metrics
from hub.observe.request_id import RequestIds
from hub.outbound.sender import Sender, build_sender
from hub.outbound.ssrf import guarded_client, parse_address_policy
from hub.outbound.subscriptions import Subscription, SubscriptionRegistry
from hub.outbound.subscriptions_file import load_subscriptions
from hub.outbound.worker import DeliveryWorker, WorkerSettings
from hub.problem import on_http_exception, on_hub_error, on_unexpected
from hub.state.rules import Rules, load_rules
from hub.state.tracker import StateTracker, TrackerSettings
from hub.store import Store, check_location, open_store
from hub.store.indexer import TextIndexer

ADMIN_TOKEN_KEY = "admin_token_sha256"
CONSOLE_KEY = "console_session_key"


@dataclass(frozen=True)
class Components:
    """What start-up loads from files before serving; any error here stops start-up."""

    catalog: Catalog
    connectors: Mapping[str, Connector]
    subscriptions: list[Subscription]
    connector_configs: Mapping[str, ConnectorConfig] = field(default_factory=dict)
    rules: Rules = field(default_factory=Rules)
    partners: list[Partner] = field(default_factory=list)


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
        partners=load_partners(partners_path(settings.partners), catalog),
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


def partners_path(path: Path) -> Path | None:
    """``HUB_PARTNERS``: a partners file; the repository's default may be absent.

    Raises:
        ConfigError: a file that was named is not there.
    """
    if path.exists():
        return path
    if path == PROJECT_ROOT / "partners.yaml":
        return None
    raise ConfigError(f"HUB_PARTNERS: {path} does not exist")


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
    """Build the hub application; its services start in its lifespan (`services`).

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
        try:
            async with services(settings, components, Seams(clock, store, sender)) as hub:
                app.state.hub = hub
                hub.worker.paused = worker_paused
                async with background(hub):
                    if settle_heap:
                        heap.settle()
                    yield
        except ConfigError as exc:
            app.state.startup_error = exc.detail  # `hub.cli.server` prints it as one line
            raise

    return Starlette(
        routes=routes(),
        middleware=[Middleware(RequestIds)],
        lifespan=lifespan,
        exception_handlers={
            HubError: on_hub_error,
            HTTPException: on_http_exception,
            Exception: on_unexpected,
        },
    )


def routes() -> list[BaseRoute]:
    """Every route, made afresh for each app (a mount builds its middleware once)."""
    return [
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
        Mount("/console", routes=CONSOLE_ROUTES, name="console"),
        Mount(
            "/api", routes=API_ROUTES, middleware=[Middleware(AdminAuth), Middleware(AuditTrail)]
        ),
    ]


@dataclass(frozen=True)
class Seams:
    """What tests replace; each is built from the settings when None."""

    clock: Clock | None = None
    store: Store | None = None
    sender: Sender | None = None


@asynccontextmanager
async def services(settings: Settings, components: Components, seams: Seams) -> AsyncIterator[Hub]:
    """Open the store and build the running services on it; close what was opened on exit.

    Raises:
        ConfigError: the store cannot be opened (held by another hub, a bad location).
    """
    metrics = Metrics(enabled=settings.metrics == "on")
    store = seams.store or open_store(
        settings.database_url, settings.commit_batch, metrics.commit_batch,
        migrate=settings.migrate == "on",
    )  # fmt: skip
    policy = parse_address_policy(settings.allow_targets)
    sender = seams.sender or build_sender(settings.http_client, settings.worker_concurrency, policy)
    # One client for the connectors' API fetches; it never follows redirects.
    fetch_client = guarded_client(policy)
    try:
        await store.open()
        try:
            clock = seams.clock or SystemClock()
            yield await _hub(settings, components, clock, store, sender, fetch_client, metrics)
        finally:
            await store.close()
    finally:
        await sender.aclose()
        await fetch_client.aclose()


@asynccontextmanager
async def background(hub: Hub) -> AsyncIterator[None]:
    """The background loops run while the app serves: delivery, state and the search index.
    On the way out the indexer and the tracker stop first, then the worker drains what it
    has in flight."""
    hub.worker.start()
    hub.tracker.start()
    hub.indexer.start()
    try:
        yield
    finally:
        await hub.indexer.stop()
        await hub.tracker.stop()
        await hub.worker.stop()


async def _hub(
    settings: Settings,
    components: Components,
    clock: Clock,
    store: Store,
    sender: Sender,
    fetch_client: httpx.AsyncClient,
    metrics: Metrics,
) -> Hub:
    """The services, wired to each other, on an open store; none started yet."""
    configs = _configs(settings, components)
    registry = SubscriptionRegistry(
        [*components.subscriptions, *await _api_subscriptions(store)],
        await store.disabled_subscriptions(),
        await store.subscription_health(),
    )
    issues = Issues(store, clock.now)
    await issues.load()
    worker = DeliveryWorker(
        store, registry, sender, clock, _worker_settings(settings), metrics=metrics, issues=issues
    )
    arrivals = Arrivals()
    ingestor = Ingestor(
        components.connectors,
        configs,
        components.catalog,
        registry,
        store,
        IngestLimits(
            settings.timestamp_tolerance, settings.rejection_body_cap, settings.rejections_max
        ),
        on_commit=worker.notify,
        redact=[
            *settings.all_secrets(),
            *secrets_of(configs),
            *(secret for sub in components.subscriptions for secret in sub.secrets),
        ],
        fetchers={
            name: Fetcher(config.fetch, fetch_client)
            for name, config in configs.items()
            if config.fetch is not None
        },
        on_events=arrivals.notify,
        clock=clock.now,
        metrics=metrics,
    )
    worker.emit_with(ingestor.emit)
    issues.emit_with(ingestor.emit)
    tracker = StateTracker(
        store,
        components.rules,
        clock,
        ingestor.prepare,
        ingestor.committed,
        TrackerSettings(poll_interval=settings.poll_interval),
    )
    ingestor.listen(tracker.notify)
    indexer = TextIndexer(store)
    ingestor.listen(indexer.notify)
    token_registry = TokenRegistry(
        [tokens.from_document(doc) for _, doc in await store.list_documents("token")]
    )
    partner_registry = await _partners(store, components.partners)
    registry.set_allowances(partner_registry.allowances())
    return Hub(
        settings=settings,
        clock=clock,
        store=store,
        catalog=components.catalog,
        registry=registry,
        ingestor=ingestor,
        worker=worker,
        admin_token_hash=await _admin_token_hash(store, settings),
        tokens=token_registry,
        http=fetch_client,
        arrivals=arrivals,
        rules=components.rules,
        tracker=tracker,
        metrics=metrics,
        issues=issues,
        indexer=indexer,
        console_key=await _console_key(store),
        partners=partner_registry,
        links=PortalLinks(
            [portal.from_document(doc) for _, doc in await store.list_documents("portal_link")]
        ),
    )


async def _partners(store: Store, declared: list[Partner]) -> PartnerRegistry:
    """The file's partners and the API's (a file partner wins over an API one of its name),
    with those an admin suspended."""
    stored = [partners.from_document(doc) for _, doc in await store.list_documents("partner")]
    named = {p.name for p in declared}
    suspended = [name for name, _ in await store.list_documents("partner_suspended")]
    return PartnerRegistry([*declared, *(p for p in stored if p.name not in named)], suspended)


async def _console_key(store: Store) -> str:
    """The key that signs console sessions: random, made on first start, never shown."""
    stored = await store.get_meta(CONSOLE_KEY)
    if stored is None:
        stored = secrets.token_urlsafe(32)
        await store.set_meta(CONSOLE_KEY, stored)
    return stored


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


def default_app() -> Starlette:
    """For ``uvicorn hub.app:default_app --factory``: settings from the environment, and
    logging as ``hub serve`` sets it up."""
    from hub.config import load_settings
    from hub.observe import logs

    settings = load_settings(os.environ)
    logs.configure(settings.log_level, settings.log_format, settings.log_buffer)
    return create_app(settings, load_components(settings, os.environ), settle_heap=True)
