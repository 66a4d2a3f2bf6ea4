"""The running services that every handler reaches as ``request.app.state.hub``."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from hub.access.partners import PartnerRegistry
from hub.access.portal import PortalLinks
from hub.api.arrivals import Arrivals
from hub.api.tokens import TokenRegistry
from hub.catalog import Catalog
from hub.clock import Clock
from hub.config import Settings
from hub.inbound.ingest import Ingestor
from hub.observe.issues import Issues
from hub.observe.metrics import Metrics
from hub.outbound.subscriptions import SubscriptionRegistry
from hub.outbound.worker import DeliveryWorker
from hub.state.rules import Rules
from hub.state.tracker import StateTracker
from hub.store.base import Store
from hub.store.indexer import TextIndexer


@dataclass
class Hub:
    """The running services, reachable from handlers as ``request.app.state.hub``."""

    settings: Settings
    clock: Clock
    store: Store
    catalog: Catalog
    registry: SubscriptionRegistry
    ingestor: Ingestor
    worker: DeliveryWorker
    admin_token_hash: str
    tokens: TokenRegistry
    http: httpx.AsyncClient
    arrivals: Arrivals
    rules: Rules
    tracker: StateTracker
    metrics: Metrics
    issues: Issues
    indexer: TextIndexer
    partners: PartnerRegistry
    links: PortalLinks
    # Signs console sessions; made once and kept in the store, so every process shares it.
    console_key: str = ""
