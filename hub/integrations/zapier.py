"""The Zapier app: a Zapier Platform CLI project on `zapier-platform-core`, generated from the
live catalog and rules.

The JavaScript is fixed (the templates beside this module, with their lock file); what changes
with the catalog is `catalog.json`, which the app reads: one REST Hook trigger per event type,
one per object type's status changes (with the statuses of `rules.yaml` as choices) and its
deadlines, each with a sample message built from the catalog's example.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from hub.catalog import Catalog, EventType
from hub.integrations.triggers import status_triggered, trigger_summary, triggered
from hub.model import Event
from hub.outbound.message import envelope
from hub.state.rules import Rules

TEMPLATES = Path(__file__).parent / "zapier"
FILES = ("index.js", "authentication.js", "triggers.js", "package.json", "package-lock.json",
         "test/hooks.test.js")  # fmt: skip


def sample(event_type: EventType) -> dict[str, Any]:
    """The message a trigger's subscribers receive, with the catalog's example as data."""
    data = event_type.example or {}
    at = 1_767_225_600.0  # 2026-01-01, a fixed time: the sample is the same on every export
    event = Event(f"evt_sample_{event_type.name.replace('.', '_')}", event_type.name,
                  "/connectors/standard", "standard", at, at, json.dumps(data),
                  event_type.subject_of(data), schema_version=event_type.version)  # fmt: skip
    found: dict[str, Any] = json.loads(envelope(event))
    return found


def trigger(event_type: EventType, statuses: list[str] | None = None) -> dict[str, Any]:
    name = event_type.name
    title = str(event_type.schema.get("title") or name)
    entry: dict[str, Any] = {
        "key": name.replace(".", "_"),
        "event": name,
        "noun": name.split(".")[0].replace("_", " ").title(),
        "label": f"New {title} ({name})" if event_type.pattern else f"New {title}",
        "description": f"{trigger_summary(name)}. {event_type.description}"[:1000],
        "sample": sample(event_type),
    }
    if statuses is not None:
        noun = name.split(".")[0].replace("_", " ")
        entry["label"] = f"New {noun} status ({name})"
        entry["description"] = f"Triggers when {noun}'s status changes under the hub's rules."
        entry["statuses"] = statuses
    return entry


def catalog_json(catalog: Catalog, rules: Rules, public_url: str) -> dict[str, Any]:
    triggers = [trigger(t) for t in triggered(catalog)]
    triggers += [trigger(t, statuses) for t, statuses in status_triggered(catalog, rules)]
    return {"publicUrl": public_url, "triggers": triggers}


def export(directory: Path, catalog: Catalog, rules: Rules, public_url: str) -> int:
    """Write the app into `directory`; how many triggers it has."""
    for name in FILES:
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(TEMPLATES / name, directory / name)
    doc = catalog_json(catalog, rules, public_url)
    (directory / "catalog.json").write_text(json.dumps(doc, indent=2) + "\n")
    return len(doc["triggers"])
