"""Every route under ``/api``, in one table."""

from __future__ import annotations

from hub.api import (
    admin,
    audit,
    deliveries,
    feed,
    issues,
    objects,
    overview,
    partners,
    search,
    subscriptions,
    trials,
)

ROUTES = [
    *admin.ROUTES,
    *deliveries.ROUTES,
    *subscriptions.ROUTES,
    *trials.ROUTES,
    *feed.ROUTES,
    *objects.ROUTES,
    *audit.ROUTES,
    *issues.ROUTES,
    *search.ROUTES,
    *overview.ROUTES,
    *partners.ROUTES,
]
