"""``hub issues``, ``hub audit`` and ``hub subscriptions``: what an admin reads and does on a
bad day, through the running hub's API (``--url`` or ``HUB_URL``, the token from
``HUB_ADMIN_TOKEN``), as tables or ``--json``."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any

from hub.cli.admin import Command, as_json, cell, client, show_page, sync_command, when

ISSUE_COLUMNS = [
    ("ID", "id"), ("STATUS", "status"), ("COUNT", "count"), ("TITLE", "title"),
    ("FIRST SEEN", "first_seen"), ("LAST SEEN", "last_seen"),
]  # fmt: skip
AUDIT_COLUMNS = [
    ("AT", "at"), ("ACTOR", "actor"), ("ACTION", "action"), ("STATUS", "status"),
    ("VIA", "via"), ("TARGET", "target"),
]  # fmt: skip
SUBSCRIPTION_COLUMNS = [
    ("ID", "id"), ("STATE", "state"), ("ORIGIN", "origin"), ("EVENTS", "events"),
    ("LAST SUCCESS", "last_success_at"), ("FAILURES", "consecutive_failures"),
    ("PENDING", "pending"), ("DESCRIPTION", "description"),
]  # fmt: skip
SEARCH_COLUMNS = [("KIND", "kind"), ("ID", "id"), ("TITLE", "title")]
STATES = {"pause": "paused", "resume": "active"}


def issue_row(issue: Mapping[str, Any]) -> list[str]:
    times = {k: when(issue.get(k)) for k in ("first_seen", "last_seen")}
    return [cell((dict(issue) | times).get(key)) for _, key in ISSUE_COLUMNS]


def audit_row(entry: Mapping[str, Any]) -> list[str]:
    target = " ".join(f"{k}={v}" for k, v in sorted(entry.get("target", {}).items()))
    shown = dict(entry) | {
        "at": when(entry.get("at")),
        "actor": entry.get("actor", {}).get("name"),
        "target": target,
    }
    return [cell(shown.get(key)) for _, key in AUDIT_COLUMNS]


async def _listing(
    args: argparse.Namespace, env: Mapping[str, str], path: str, params: dict[str, str],
    columns: list[tuple[str, str]], rows: Callable[[Mapping[str, Any]], list[str]], noun: str,
) -> int:  # fmt: skip
    api = client(args, env)
    try:
        page = await api.call("GET", path, params={k: v for k, v in params.items() if v})
    finally:
        await api.aclose()
    return show_page(page, args.json, noun, columns, rows)


async def list_issues(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    params = {"status": args.status or "", "limit": str(args.limit), "cursor": args.cursor or ""}
    return await _listing(args, env, "/api/issues", params, ISSUE_COLUMNS, issue_row, "issues")


async def set_issue(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    status = {"acknowledge": "acknowledged", "resolve": "resolved"}[args.verb]
    api = client(args, env)
    try:
        issue = await api.call("PATCH", f"/api/issues/{args.id}", json={"status": status})
    finally:
        await api.aclose()
    print(as_json(issue) if args.json else f"{issue['id']} {issue['status']}: {issue['title']}")
    return 0


async def list_audit(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    params = {
        "actor": args.actor or "", "action": args.action or "", "since": args.since or "",
        "until": args.until or "", "limit": str(args.limit), "cursor": args.cursor or "",
    }  # fmt: skip
    return await _listing(args, env, "/api/audit", params, AUDIT_COLUMNS, audit_row, "entries")


def subscription_row(sub: Mapping[str, Any]) -> list[str]:
    """A subscription by its id, never its URL (a URL can carry a credential), with health."""
    health = sub.get("health", {})
    shown = (
        dict(sub)
        | health
        | {
            "events": ",".join(sub.get("events", [])),
            "last_success_at": when(health.get("last_success_at")),
        }
    )
    return [cell(shown.get(key)) for _, key in SUBSCRIPTION_COLUMNS]


async def list_subscriptions(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    api = client(args, env)
    try:
        page = await api.call("GET", "/api/subscriptions")
        # The list leaves health out; each subscription's own page has it.
        items = [await api.call("GET", f"/api/subscriptions/{s['id']}") for s in page["items"]]
    finally:
        await api.aclose()
    listed = {"items": items, "next_cursor": None}
    return show_page(listed, args.json, "subscriptions", SUBSCRIPTION_COLUMNS, subscription_row)


async def change_subscription(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """pause, resume, rotate-secret or validate one subscription."""
    path = f"/api/subscriptions/{args.id}"
    api = client(args, env)
    try:
        if args.verb in STATES:
            sub = await api.call("PATCH", path, json={"state": STATES[args.verb]})
        elif args.verb == "rotate-secret":
            sub = await api.call("POST", f"{path}/rotate-secret",
                                 json={"grace_seconds": args.grace})  # fmt: skip
        else:
            sub = await api.call("POST", f"{path}/validate")
    finally:
        await api.aclose()
    if args.json:
        print(as_json(sub))
        return 0
    print(f"{sub['id']} {sub['state']}")
    if "secret" in sub:  # shown once, as the API shows it once
        print(f"new signing secret (the old one signs until {sub['previous_secret_expires_at']}):")
        print(f"    {sub['secret']}")
    return 0


async def test_subscription(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Send a test event and say what the endpoint did: exit 1 when it failed."""
    api = client(args, env)
    try:
        body = {"type": args.type} if args.type else {}
        trial = await api.call("POST", f"/api/subscriptions/{args.id}/test", json=body)
    finally:
        await api.aclose()
    if args.json:
        print(as_json(trial))
    else:
        answer = f"answered {trial['status']}" if trial["status"] is not None else trial["error"]
        verdict = "delivered" if trial["succeeded"] else "failed"
        print(f"{verdict}: a test {trial['type']} ({trial['event_id']}) to "
              f"{trial['subscription_id']} {answer} in {trial['duration_ms']:.0f} ms")  # fmt: skip
        if trial.get("response"):
            print(f"    {cell(trial['response'])}")
    return 0 if trial["succeeded"] else 1


async def search(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """What any id names: events, deliveries, receipts and business objects."""
    api = client(args, env)
    try:
        found = await api.call("GET", "/api/search", params={"q": args.q, "limit": str(args.limit)})
    finally:
        await api.aclose()
    page = {"items": found["items"], "next_cursor": None}
    if args.json:
        print(as_json(found))
        return 0
    return show_page(page, False, f"records named {args.q!r}", SEARCH_COLUMNS, search_row)


def search_row(hit: Mapping[str, Any]) -> list[str]:
    return [cell(hit.get(key)) for _, key in SEARCH_COLUMNS]


def api_command(parser: argparse.ArgumentParser, run: Command) -> None:
    """A command that calls the running hub: ``--url`` and ``--json``, run synchronously."""
    parser.add_argument("--url", help="the hub's base URL (HUB_URL)")
    parser.add_argument("--json", action="store_true", help="the API's JSON")
    parser.set_defaults(run=sync_command(run))


def add_commands(commands: Any) -> None:
    """``hub issues [list|acknowledge ID|resolve ID]``, ``hub audit`` and
    ``hub subscriptions [list|pause|resume|rotate-secret|validate|test]``."""
    issues = commands.add_parser("issues", help="failures grouped into issues")
    verbs = issues.add_subparsers(dest="verb", required=True)
    listing = verbs.add_parser("list", help="issues, newest first")
    listing.add_argument("--status", choices=["open", "acknowledged", "resolved"])
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--cursor", help="the next page, as the previous one says")
    api_command(listing, list_issues)
    for verb in ("acknowledge", "resolve"):
        change = verbs.add_parser(verb, help=f"{verb} one issue")
        change.add_argument("id", help="the issue's id (iss_...)")
        api_command(change, set_issue)
    audit = commands.add_parser("audit", help="the audit trail of admin actions")
    audit.add_argument("--actor", help="a token's id, or admin")
    audit.add_argument("--action", help="e.g. replay_deliveries, create_token")
    audit.add_argument("--since", help="RFC 3339, Unix seconds, or a duration ago: 30m, 2d")
    audit.add_argument("--until", help="as --since")
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--cursor", help="the next page, as the previous one says")
    api_command(audit, list_audit)
    subscriptions = commands.add_parser("subscriptions", help="subscriptions and their health")
    verbs = subscriptions.add_subparsers(dest="verb", required=True)
    api_command(verbs.add_parser("list", help="every subscription, with its health"),
            list_subscriptions)  # fmt: skip
    for verb, what in (("pause", "hold its deliveries"), ("resume", "send again"),
                       ("rotate-secret", "a new signing secret, shown once"),
                       ("validate", "ask its endpoint's consent again")):  # fmt: skip
        change = verbs.add_parser(verb, help=what)
        change.add_argument("id", help="the subscription's id")
        if verb == "rotate-secret":
            grace = "seconds the old secret keeps signing (default a day)"
            change.add_argument("--grace", type=float, default=86_400.0, help=grace)
        api_command(change, change_subscription)
    found = commands.add_parser("search", help="find anything by an id, number or reference")
    found.add_argument(
        "q", help="an event/delivery/receipt id, a vendor's id, #1042, a tracking no."
    )
    found.add_argument("--limit", type=int, default=50)
    api_command(found, search)
    test = verbs.add_parser("test", help="send a signed test event now (not stored or retried)")
    test.add_argument("id", help="the subscription's id")
    test.add_argument("--type", help="an event type it takes (default: the first in the catalog)")
    api_command(test, test_subscription)
