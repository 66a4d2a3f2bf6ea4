"""Status rules, as data: what `rules.yaml` declares for each object type, checked at start-up.

::

    types:
      order:
        begin: received
        log: all                 # all: system-triggered transitions too; manual: by hand only
        level: all               # all: every attempt; errors: refusals and fallbacks only
        bundle_size: 100         # objects per bundle in a bulk transition
        statuses:
          received: {state: received, reason: new}
          on_hold:  {state: on_hold, reason: price_check, hidden: true}
          paid:     {state: completed, reason: paid, deadline: {after: 48h, emit: order.overdue}}
        transitions:
          - {from: "*", to: cancelled, on: [order.cancelled]}
          - from: [received]
            to: confirmed
            on: [order.confirmed, manual]
            when: {"event.lines": {"$all": {"unit_price": {"$gt": 0}}}}
            fallback: on_hold
            message: a line has no price
            emit: true
            force_scopes: [credit-team]
    events:                      # event types whose prefix does not name their object
      shipment.tracking_updated: order
    links:                       # aliases the payloads only imply: the same id, two names
      - {alias: d365.customer_ref, is: shopify.order_number}

A condition is a payload filter (`hub.filters`) over ``{"event": <data>, "object": <facts>}``.
Every problem in the file is reported at once, each with its line and entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.catalog import PATTERN, Catalog, type_matches
from hub.clock import parse_duration
from hub.errors import ConfigError, SchemaViolation
from hub.filters import Filter, parse_filter
from hub.yamlfile import Problems, load, where

OBJECT_TYPES = ("order", "customer", "vendor", "product", "purchase_order")
MANUAL = "manual"
STATUS_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
TYPE_KEYS = {"begin", "log", "level", "bundle_size", "statuses", "transitions"}
STATUS_KEYS = {"state", "reason", "hidden", "deadline"}
TRANSITION_KEYS = {"from", "to", "on", "when", "fallback", "message", "emit", "force_scopes"}
# The hub's own state events never move a state: rules cannot loop.
STATE_EVENTS = ("status_changed", "overdue")


@dataclass(frozen=True)
class Deadline:
    """Raise `emit` once if the object is still in the status `after` seconds on."""

    after: float
    emit: str


@dataclass(frozen=True)
class Status:
    """A status with its IOM-style state and reason; a hidden one cannot be chosen by hand."""

    name: str
    state: str
    reason: str
    hidden: bool = False
    deadline: Deadline | None = None


@dataclass(frozen=True)
class Transition:
    """One feasible move. `sources` None means from any status (``*``)."""

    to: str
    on: tuple[str, ...]
    sources: frozenset[str] | None = None
    when: Filter | None = None
    fallback: str | None = None
    message: str | None = None
    emit: bool = True
    force_scopes: frozenset[str] = frozenset()
    line: int = 0

    def leaves(self, status: str | None) -> bool:
        return self.sources is None or (status is not None and status in self.sources)

    def triggered_by(self, trigger: str) -> bool:
        if trigger == MANUAL:
            return MANUAL in self.on
        return any(type_matches(p, trigger) for p in self.on if p != MANUAL)


@dataclass(frozen=True)
class TypeRules:
    """Everything declared for one object type."""

    name: str
    begin: str
    statuses: Mapping[str, Status]
    transitions: tuple[Transition, ...]
    log: str = "all"
    level: str = "all"
    bundle_size: int = 100

    def status(self, name: str) -> Status:
        return self.statuses[name]


@dataclass(frozen=True)
class Link:
    """Two alias kinds that name the same id: ``d365.customer_ref`` is ``shopify.order_number``."""

    alias: str
    same_as: str


@dataclass(frozen=True)
class Rules:
    types: Mapping[str, TypeRules] = field(default_factory=dict)
    events: Mapping[str, str] = field(default_factory=dict)
    links: tuple[Link, ...] = ()

    def object_type(self, event_type: str) -> str | None:
        """Which object an event is about: a declared mapping, else its prefix; none for the
        hub's own state events, so that they never trigger a transition."""
        if event_type.rpartition(".")[2] in STATE_EVENTS:
            return None
        for pattern, object_type in self.events.items():
            if type_matches(pattern, event_type):
                return object_type if object_type in self.types else None
        prefix = event_type.partition(".")[0]
        return prefix if prefix in self.types else None


# parsing -------------------------------------------------------------------------------------


class _File:
    """The checks of one rules file, collecting every problem with its line."""

    def __init__(self, path: Path, catalog: Catalog) -> None:
        self.path, self.catalog = path, catalog
        self.problems = Problems()

    def fail(self, node: Any, key: Any, label: str, message: str) -> None:
        self.problems.found.append(f"{where(self.path, node, key)}: {label}: {message}")

    def object_type(self, name: str, raw: Any, doc: Any) -> TypeRules | None:
        label = f"types.{name}"
        if name not in OBJECT_TYPES:
            self.fail(doc, name, label, f"not an object type ({', '.join(OBJECT_TYPES)})")
            return None
        if not isinstance(raw, dict):
            self.fail(doc, name, label, "a mapping of begin, statuses and transitions")
            return None
        for key in sorted(map(str, set(raw) - TYPE_KEYS)):
            self.fail(raw, key, label, f"unknown key {key!r}")
        statuses = self.statuses(raw.get("statuses"), raw, label)
        begin = raw.get("begin")
        if not isinstance(begin, str) or begin not in statuses:
            self.fail(raw, "begin", label, f"begin must name one of its statuses, not {begin!r}")
        transitions = self.transitions(raw.get("transitions"), raw, label, statuses)
        self.reachable(name, raw, str(begin), statuses, transitions)
        log, level, bundle = (
            raw.get("log", "all"),
            raw.get("level", "all"),
            raw.get("bundle_size", 100),
        )
        if log not in ("all", "manual"):
            self.fail(raw, "log", label, "log is all or manual")
        if level not in ("all", "errors"):
            self.fail(raw, "level", label, "level is all or errors")
        if isinstance(bundle, bool) or not isinstance(bundle, int) or not 1 <= bundle <= 10_000:
            self.fail(raw, "bundle_size", label, "bundle_size is an integer in 1..10000")
            bundle = 100
        return TypeRules(
            name, str(begin), statuses, tuple(transitions), str(log), str(level), bundle
        )

    def statuses(self, raw: Any, parent: Any, label: str) -> dict[str, Status]:
        if not isinstance(raw, dict) or not raw:
            self.fail(parent, "statuses", label, "statuses: a mapping of name to {state, reason}")
            return {}
        found = {}
        for name, spec in raw.items():
            where_ = f"{label}.statuses.{name}"
            if not isinstance(name, str) or not STATUS_NAME.match(name):
                self.fail(raw, name, where_, "a status name is lower-case letters, digits, _")
                continue
            if not isinstance(spec, dict) or set(spec) - STATUS_KEYS:
                self.fail(raw, name, where_, f"takes {', '.join(sorted(STATUS_KEYS))}")
                continue
            state, reason = spec.get("state"), spec.get("reason")
            if not isinstance(state, str) or not isinstance(reason, str) or not state or not reason:
                self.fail(raw, name, where_, "state and reason are required strings")
                continue
            found[name] = Status(
                name,
                state,
                reason,
                spec.get("hidden") is True,
                self.deadline(spec.get("deadline"), spec, where_),
            )
        return found

    def deadline(self, raw: Any, parent: Any, label: str) -> Deadline | None:
        if raw is None:
            return None
        after = parse_duration(str(raw.get("after"))) if isinstance(raw, dict) else None
        emit = raw.get("emit") if isinstance(raw, dict) else None
        if after is None or not isinstance(emit, str) or emit not in self.catalog:
            wanted = "deadline is {after: 48h, emit: <a catalog type, e.g. order.overdue>}"
            self.fail(parent, "deadline", label, wanted)
            return None
        return Deadline(float(after), emit)

    def transitions(
        self, raw: Any, parent: Any, label: str, statuses: Mapping[str, Status]
    ) -> list[Transition]:
        if not isinstance(raw, list):
            self.fail(parent, "transitions", label, "transitions: a list")
            return []
        found = []
        for index, item in enumerate(raw):
            made = self.transition(item, f"{label}.transitions[{index}]", statuses)
            if made is not None:
                found.append(made)
        return found

    def transition(self, raw: Any, label: str, statuses: Mapping[str, Status]) -> Transition | None:
        if not isinstance(raw, dict):
            self.fail(raw, None, label, "a transition is a mapping of from, to, on")
            return None
        bad = len(self.problems.found)
        for key in sorted(map(str, set(raw) - TRANSITION_KEYS)):
            self.fail(raw, key, label, f"unknown key {key!r}")
        to, fallback = raw.get("to"), raw.get("fallback")
        if to not in statuses:
            self.fail(raw, "to", label, f"to: {to!r} is not one of its statuses")
        if fallback is not None and fallback not in statuses:
            self.fail(raw, "fallback", label, f"fallback: {fallback!r} is not one of its statuses")
        sources = self.sources(raw, label, statuses)
        on = self.triggers(raw, label)
        when = None
        if raw.get("when") is not None:
            try:
                when = parse_filter(raw["when"], "/when")
            except SchemaViolation as exc:
                detail = "; ".join(f"{v.pointer}: {v.message}" for v in exc.violations)
                self.fail(raw, "when", label, f"the condition does not parse ({detail})")
        scopes = raw.get("force_scopes", [])
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            self.fail(raw, "force_scopes", label, "force_scopes: a list of token names")
            scopes = []
        if not isinstance(raw.get("emit", True), bool):
            self.fail(raw, "emit", label, "emit: true or false")
        message = raw.get("message")
        if message is not None and not isinstance(message, str):
            self.fail(raw, "message", label, "message: a string")
        if len(self.problems.found) > bad:
            return None
        return Transition(
            str(to),
            on,
            sources,
            when,
            fallback,
            message,
            raw.get("emit", True),
            frozenset(scopes),
            raw.line if hasattr(raw, "line") else 0,
        )

    def sources(
        self, raw: Any, label: str, statuses: Mapping[str, Status]
    ) -> frozenset[str] | None:
        sources = raw.get("from")
        if sources == "*":
            return None
        items = [sources] if isinstance(sources, str) else sources
        if not isinstance(items, list) or not items:
            self.fail(raw, "from", label, "from: a status, a list of them, or *")
            return frozenset()
        for item in items:
            if item not in statuses:
                self.fail(raw, "from", label, f"from: {item!r} is not one of its statuses")
        return frozenset(str(i) for i in items)

    def triggers(self, raw: Any, label: str) -> tuple[str, ...]:
        on = raw.get("on")
        items = [on] if isinstance(on, str) else on
        if not isinstance(items, list) or not items:
            self.fail(raw, "on", label, "on: event types (or patterns), or manual")
            return ()
        for item in items:
            if item == MANUAL:
                continue
            if not isinstance(item, str) or not PATTERN.match(item):
                self.fail(raw, "on", label, f"on: {item!r} is not an event type or pattern")
            elif "*" not in item and item not in self.catalog:
                self.fail(raw, "on", label, f"on: {item!r} is not in the event catalog")
            elif item.rpartition(".")[2] in STATE_EVENTS:
                self.fail(raw, "on", label, f"on: {item!r} is the hub's own: rules may not loop")
        return tuple(str(i) for i in items)

    def reachable(
        self,
        name: str,
        raw: Any,
        begin: str,
        statuses: Mapping[str, Status],
        transitions: list[Transition],
    ) -> None:
        """Every status but the begin one is the target of some transition or fallback."""
        reached = {begin} | {t.to for t in transitions} | {t.fallback for t in transitions}
        for status in statuses:
            if status not in reached:
                self.fail(
                    raw.get("statuses"),
                    status,
                    f"types.{name}.statuses.{status}",
                    "no transition or fallback reaches this status",
                )


def _events(raw: Any, doc: Any, file: _File, types: Mapping[str, TypeRules]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        file.fail(doc, "events", "events", "a mapping of event type (or pattern) to object type")
        return {}
    found = {}
    for event_type, object_type in raw.items():
        if not isinstance(event_type, str) or not PATTERN.match(event_type):
            file.fail(raw, event_type, f"events.{event_type}", "not an event type or pattern")
        elif object_type not in types:
            file.fail(raw, event_type, f"events.{event_type}", f"{object_type!r} has no rules")
        else:
            found[event_type] = str(object_type)
    return found


def _links(raw: Any, doc: Any, file: _File) -> tuple[Link, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        file.fail(doc, "links", "links", "a list of {alias: system.kind, is: system.kind}")
        return ()
    found = []
    for index, item in enumerate(raw):
        kinds = (item.get("alias"), item.get("is")) if isinstance(item, dict) else (None, None)
        if not all(
            isinstance(k, str) and re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_]+", k) for k in kinds
        ):
            file.fail(item, None, f"links[{index}]", "{alias: system.kind, is: system.kind}")
            continue
        found.append(Link(str(kinds[0]), str(kinds[1])))
    return tuple(found)


def load_rules(path: Path | None, catalog: Catalog) -> Rules:
    """Read and check `rules.yaml`; None (no file configured) means no business state.

    Raises:
        ConfigError: every problem in the file, each naming its line and entry.
    """
    if path is None:
        return Rules()
    if not path.exists():
        raise ConfigError(f"{path}: no such rules file (HUB_RULES)")
    doc = load(path, "status rules")
    if not isinstance(doc, dict) or not isinstance(doc.get("types"), dict):
        raise ConfigError(f"{path}: expected a mapping with a 'types:' mapping")
    file = _File(path, catalog)
    for key in sorted(map(str, set(doc) - {"types", "events", "links"})):
        file.fail(doc, key, key, "unknown key (types, events, links)")
    types = {}
    for name, raw in doc["types"].items():
        made = file.object_type(str(name), raw, doc["types"])
        if made is not None:
            types[made.name] = made
    rules = Rules(
        types, _events(doc.get("events"), doc, file, types), _links(doc.get("links"), doc, file)
    )
    file.problems.raise_any()
    return rules
