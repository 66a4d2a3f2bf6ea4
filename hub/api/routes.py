"""Every route under ``/api``, in one table."""

from __future__ import annotations

from hub.api import admin, feed, subscriptions

ROUTES = [*admin.ROUTES, *subscriptions.ROUTES, *feed.ROUTES]
