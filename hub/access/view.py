"""What one caller may see: the admin everything; a partner what its allowance admits and its
own subscriptions' deliveries and issues; a token of no partner its own subscriptions only.

`View` is pure, so the rules are tested as a table and shared by every route that reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hub.access.allowance import HUB_PREFIX, Allowance
from hub.model import BusinessObject, Delivery, Event, Issue


@dataclass(frozen=True)
class View:
    """One caller's reach.

    Attributes:
        admin: sees everything.
        allowance: a partner's allowance; None sees no events and no objects.
        subscriptions: the ids of the caller's own subscriptions.
    """

    admin: bool = False
    allowance: Allowance | None = None
    subscriptions: frozenset[str] = field(default_factory=frozenset)

    @property
    def reads_events(self) -> bool:
        return self.admin or self.allowance is not None

    def event(self, event: Event, data: Any = None) -> bool:
        """An event it may read. The hub's ``hub.*`` events are a partner's only when they are
        about one of its own subscriptions (``data.subscription_id``)."""
        if self.admin:
            return True
        if self.allowance is None:
            return False
        parsed = json.loads(event.data_json) if data is None else data
        if event.type.startswith(HUB_PREFIX):
            return isinstance(parsed, dict) and parsed.get("subscription_id") in self.subscriptions
        body = parsed if isinstance(parsed, dict) else None
        return self.allowance.admits(event.type, event.company, body)

    def object(self, obj: BusinessObject) -> bool:
        if self.admin:
            return True
        return self.allowance is not None and self.allowance.admits_object(obj.type, obj.company)

    def delivery(self, delivery: Delivery) -> bool:
        return self.admin or delivery.subscription_id in self.subscriptions

    def issue(self, issue: Issue) -> bool:
        """Issues about its own subscriptions' deliveries (inbound and schema issues are the
        admin's: they name connectors and other senders)."""
        return self.admin or (issue.kind == "delivery" and issue.scope in self.subscriptions)


EVERYTHING = View(admin=True)
