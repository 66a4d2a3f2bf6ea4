"""Every console URL, in one table (mounted at ``/console``)."""

from __future__ import annotations

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hub.console import actions, pages, portal

ROUTES = [
    Route("/", pages.overview, methods=["GET"]),
    Route("/sign-in", actions.sign_in_form, methods=["GET"]),
    Route("/sign-in", actions.sign_in, methods=["POST"]),
    Route("/sign-out", actions.sign_out, methods=["POST"]),
    Route("/portal/{value}", portal.open_link, methods=["GET"]),
    Route("/portal/{value}", portal.use_link, methods=["POST"]),
    Route("/search", pages.search, methods=["GET"]),
    Route("/events", pages.events, methods=["GET"]),
    Route("/events/{id}", pages.event, methods=["GET"]),
    Route("/events/{id}/replay", actions.replay_event, methods=["POST"]),
    Route("/deliveries", pages.deliveries, methods=["GET"]),
    Route("/deliveries/bulk", actions.bulk_deliveries, methods=["POST"]),
    Route("/deliveries/{id}", pages.delivery, methods=["GET"]),
    Route("/deliveries/{id}/replay", actions.replay_delivery, methods=["POST"]),
    Route("/deliveries/{id}/retry", actions.retry_delivery, methods=["POST"]),
    Route("/subscriptions", pages.subscriptions, methods=["GET"]),
    Route("/subscriptions/{id}", pages.subscription, methods=["GET"]),
    Route("/subscriptions/{id}/state", actions.subscription_state, methods=["POST"]),
    Route("/subscriptions/{id}/rotate-secret", actions.rotate_secret, methods=["POST"]),
    Route("/subscriptions/{id}/validate", actions.validate_subscription, methods=["POST"]),
    Route("/rejections", pages.rejections, methods=["GET"]),
    Route("/receipts", pages.receipts, methods=["GET"]),
    Route("/receipts/{id}", pages.receipt, methods=["GET"]),
    Route("/receipts/{id}/reprocess", actions.reprocess_receipt, methods=["POST"]),
    Route("/catalog", pages.catalog, methods=["GET"]),
    Route("/catalog/{type}", pages.event_type, methods=["GET"]),
    Route("/objects", pages.objects, methods=["GET"]),
    Route("/objects/{type}/{key:path}", pages.business_object, methods=["GET"]),
    Route("/issues", pages.issues, methods=["GET"]),
    Route("/issues/{id}", actions.issue_status, methods=["POST"]),
    Route("/audit", pages.audit, methods=["GET"]),
    Mount("/static", StaticFiles(packages=[("hub.console", "static")]), name="static"),
]
