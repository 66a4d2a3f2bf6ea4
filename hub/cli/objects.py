"""The business-state commands of ``hub``: objects list and show, state rebuild.

Like the delivery commands they talk to a running hub's API, which owns the database and the
state tracker (a rebuild must hold the tracker while it replays the log).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from hub.cli.admin import (
    ApiClient,
    as_json,
    cell,
    client,
    duration,
    show_page,
    sync_command,
    table,
    when,
)

OBJECT_COLUMNS = [
    ("TYPE", "type"), ("KEY", "key"), ("STATUS", "status"), ("STATE / REASON", "state_reason"),
    ("SINCE", "since"), ("COMPANY", "company"), ("REFERENCES", "refs"),
]  # fmt: skip
DIFF_COLUMNS = [("TYPE", "type"), ("KEY", "key"), ("CHANGE", "change"),
                ("LIVE", "live_status"), ("REBUILT", "rebuilt_status")]  # fmt: skip


def object_row(obj: Mapping[str, Any]) -> list[str]:
    refs = sum(len(ids) for ids in obj.get("references", {}).values())
    cells = dict(obj) | {
        "state_reason": f"{obj.get('state')} / {obj.get('reason')}",
        "since": when(obj.get("since")),
        "refs": refs,
    }
    return [cell(cells.get(key)) for _, key in OBJECT_COLUMNS]


def diff_row(diff: Mapping[str, Any]) -> list[str]:
    return [cell(diff.get(key)) for _, key in DIFF_COLUMNS]


async def _call(args: argparse.Namespace, env: Mapping[str, str], *call: Any, **kw: Any) -> Any:
    api: ApiClient = client(args, env)
    try:
        return await api.call(*call, **kw)
    finally:
        await api.aclose()


async def list_objects(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    named = {"type": args.type, "status": args.status, "state": args.state,
             "company": args.company, "q": args.q, "cursor": args.cursor}  # fmt: skip
    params = {k: v for k, v in named.items() if v} | {"limit": str(args.limit)}
    if args.overdue:
        params["overdue"] = "true"
    page = await _call(args, env, "GET", "/api/objects", params=params)
    return show_page(page, args.json, "objects", OBJECT_COLUMNS, object_row)


async def show_object(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from urllib.parse import quote

    path = f"/api/objects/{quote(args.type, safe='')}/{quote(args.key, safe='')}"
    doc = await _call(args, env, "GET", path)
    if args.json:
        print(as_json(doc))
        return 0
    for line in readable(doc):
        print(line)
    return 0


def readable(doc: Mapping[str, Any]) -> list[str]:
    """An object as a page of text: status, references, facts, deadline, timeline, logbook."""
    company = f"  company {doc['company']}" if doc.get("company") else ""
    lines = [
        f"{doc['type']} {doc['key']} ({doc['id']}){company}",
        f"status    {doc['status']} ({doc['state']} / {doc['reason']}) since "
        f"{when(doc.get('since'))}, {duration(doc.get('seconds_in_status', 0))} ago",
    ]
    linked = doc.get("linked_references", {})
    sent = {
        system: {kind: value for kind, value in ids.items() if kind not in linked.get(system, {})}
        for system, ids in doc.get("references", {}).items()
    }
    for title, group in (("references sent by a system", sent),
                         ("references implied by a declared link", linked)):  # fmt: skip
        if any(group.values()):
            lines.append(title)
            lines.extend(_references(group))
    if doc.get("facts"):
        lines.append("facts")
        for name, value in sorted(doc["facts"].items()):
            text = value if isinstance(value, str) else as_json(value).replace("\n", "")
            lines.append(f"  {name:<16} {cell(' '.join(str(text).split()))}")
    for deadline in doc.get("deadlines", []):
        lines.append(f"deadline  {deadline['emit']} due {when(deadline['due_at'])} "
                     f"(in {deadline['status']} since {when(deadline['since'])})")  # fmt: skip
    lines.append("timeline (in the order it happened)")
    happened = sorted(doc.get("timeline", []), key=lambda e: (e.get("time") or "", e["id"]))
    for event in happened:
        count = len(event.get("deliveries", []))
        lines.append(f"  {when(event.get('time'))}  {event.get('connector', '-'):<12} "
                     f"{event['type']:<28} {event['id']}  {count} deliveries")  # fmt: skip
    lines.append("logbook (newest first)")
    for entry in doc.get("logbook", []):
        move = f"{entry.get('from_status') or '-'} -> {entry.get('to_status') or '-'}"
        by = f"  by {entry['created_by']}" if entry.get("created_by") else ""
        lines.append(f"  {when(entry.get('at'))}  {entry['trigger']:<24} {entry['outcome']:<11} "
                     f"{move:<34} {entry.get('message') or ''}{by}")  # fmt: skip
    return [line.rstrip() for line in lines]


def _references(group: Mapping[str, Mapping[str, str]]) -> list[str]:
    return [
        f"  {system:<12} " + ", ".join(f"{kind} {value}" for kind, value in sorted(ids.items()))
        for system, ids in sorted(group.items())
        if ids
    ]


async def rebuild(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    body = {"dry_run": args.dry_run, "emit": args.emit} | ({"type": args.type} if args.type else {})
    report = await _call(args, env, "POST", "/api/state/rebuild", json=body)
    if args.json:
        print(as_json(report))
        return 0
    verb = "would change" if report["dry_run"] else "changed"
    print(f"replayed {report['events_replayed']} events into {report['objects']} objects "
          f"({', '.join(report['types'])}): {report['differing']} {verb}")  # fmt: skip
    if report["differences"]:
        for line in table(report["differences"], DIFF_COLUMNS, diff_row):
            print(line)
    if report["differing"] > len(report["differences"]):
        print(f"... and {report['differing'] - len(report['differences'])} more")
    if not report["dry_run"] and report["emit"] and report["differing"]:
        print("a status-changed event was raised for each changed or new object")
    return 0


def add_commands(commands: Any) -> None:
    """``hub objects list|show`` and ``hub state rebuild``."""
    objects = commands.add_parser("objects", help="business objects of a running hub")
    verbs = objects.add_subparsers(dest="verb", required=True)
    listing = verbs.add_parser("list", help="objects by type, status, state, company, overdue")
    for name in ("type", "status", "state", "company"):
        listing.add_argument(f"--{name}")
    listing.add_argument("--q", help="any alias (#1042, a tracking number) or text in the facts")
    listing.add_argument("--overdue", action="store_true", help="only those past a deadline")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--cursor", help="the next page, as the previous one says")
    show = verbs.add_parser("show", help="one object by any alias, with its timeline")
    show.add_argument(
        "type", help="a type of the status rules (the default rules: order, customer, vendor, "
        "purchase_order)"
    )  # fmt: skip
    show.add_argument("key", help="any alias: #1042, a Shopify id, SO-001, a tracking number")
    state = commands.add_parser("state", help="the business state of a running hub")
    state_verbs = state.add_subparsers(dest="verb", required=True)
    rebuilt = state_verbs.add_parser("rebuild", help="replay the event log through the rules")
    rebuilt.add_argument("--dry-run", action="store_true", help="report, change nothing")
    rebuilt.add_argument("--type", help="only this object type")
    rebuilt.add_argument("--emit", action="store_true", help="raise status events for changes")
    for parser, run in ((listing, list_objects), (show, show_object), (rebuilt, rebuild)):
        parser.add_argument("--url", help="the hub's base URL (HUB_URL)")
        parser.add_argument("--json", action="store_true")
        parser.set_defaults(run=sync_command(run))
