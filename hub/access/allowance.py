"""A partner's allowance: the event types, companies and fixed payload filter it may see.

The decisions here are pure and shared: the API filters what a partner reads with them, and
the subscription registry routes a partner's deliveries with the same ones, so a partner never
receives what it could not read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.catalog import type_matches
from hub.filters import Filter

ANY = "*"
HUB_PREFIX = "hub."


@dataclass(frozen=True)
class Allowance:
    """What one partner may see.

    Attributes:
        types: event type patterns (``order.*``, ``customer.created``, ``*``).
        companies: legal entities, or ``*`` for every company and for records with none.
        filter: a fixed payload filter every event it sees must pass, or None.
    """

    types: tuple[str, ...]
    companies: tuple[str, ...]
    filter: Filter | None = None

    def admits_type(self, event_type: str) -> bool:
        """The hub's own ``hub.*`` events are never a partner's by type (see `View`)."""
        if event_type.startswith(HUB_PREFIX):
            return False
        return any(type_matches(p, event_type) for p in self.types)

    def admits_company(self, company: str | None) -> bool:
        """A record with no company is outside every allowance but ``*``."""
        if ANY in self.companies:
            return True
        return company is not None and company in self.companies

    def admits(self, event_type: str, company: str | None, data: Mapping[str, Any] | None) -> bool:
        """An event: type, company and the fixed filter (None data fails a filter)."""
        if not (self.admits_type(event_type) and self.admits_company(company)):
            return False
        return self.filter is None or (data is not None and self.filter.test(data))

    def admits_object(self, object_type: str, company: str | None) -> bool:
        """An object is visible when some allowed pattern names its type (``order.*`` and
        ``order.shipped`` allow orders; ``*`` allows every type) and its company is allowed."""
        return self.admits_company(company) and any(
            p == ANY or p.split(".", 1)[0] == object_type for p in self.types
        )

    def covers(self, pattern: str) -> bool:
        """True when every type `pattern` matches is within the allowance: a subscription's
        pattern must be covered, or it would ask for what the partner may not have."""
        if pattern.startswith(HUB_PREFIX):
            return False
        if pattern == ANY:
            return ANY in self.types
        if pattern.endswith(".*"):
            return any(p == ANY or (p.endswith(".*") and pattern.startswith(p[:-1]))
                       for p in self.types)  # fmt: skip
        return any(type_matches(p, pattern) for p in self.types)
