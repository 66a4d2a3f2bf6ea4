"""``GET /metrics``: Prometheus's text format, for the admin token or ``HUB_METRICS_TOKEN``."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import Response

from hub.api.auth import bearer_hash
from hub.api.services import Hub
from hub.api.tokens import token_hash
from hub.errors import NotFound, Unauthorized
from hub.observe.metrics import CONTENT_TYPE, Gauges


def allowed(presented_hash: str, hub: Hub) -> bool:
    """The admin token, or the metrics token when one is set."""
    wanted = [hub.admin_token_hash]
    if hub.settings.metrics_token is not None:
        wanted.append(token_hash(hub.settings.metrics_token.reveal()))
    # Both compared, always: which of them matched is not told by the time taken.
    matches = [hmac.compare_digest(presented_hash.encode(), w.encode()) for w in wanted]
    return any(matches)


async def serve_metrics(request: Request) -> Response:
    """The metrics of this process (of every process under multiprocess mode), and the store's
    gauges.

    Raises:
        NotFound: ``HUB_METRICS=off``.
        Unauthorized: neither token.
    """
    hub: Hub = request.app.state.hub
    if not hub.metrics.enabled:
        raise NotFound("metrics are off (HUB_METRICS=off)")
    if not allowed(bearer_hash(request.headers.get("authorization")), hub):
        raise Unauthorized("the token is not valid for /metrics")
    pending, oldest = await hub.store.backlog()
    now = hub.clock.now()
    issues_open = len(await hub.store.live_issues())
    gauges = Gauges(pending, max(0.0, now - oldest) if oldest is not None else 0.0, issues_open)
    return Response(hub.metrics.render(gauges), media_type=CONTENT_TYPE)
