"""The admin commands of ``hub``: deliveries, replay and retry, against a running hub's API.

They talk to the hub over HTTP (``--url`` or ``HUB_URL``, the token from ``HUB_ADMIN_TOKEN``),
because one hub process owns its database. A bulk action counts first (``dry_run``) and, above
`CONFIRM_ABOVE` matches, asks before it acts, unless given ``--yes``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from hub.errors import ConfigError

PROGRESS_WIDTH = 30
CHUNK = 1000
CONFIRM_ABOVE = 10
PAGE_COLUMNS = [
    ("ID", "id"), ("STATUS", "status"), ("SUBSCRIPTION", "subscription_id"),
    ("EVENT TYPE", "event_type"), ("SUBJECT", "subject"), ("ATTEMPTS", "attempt_count"),
    ("LAST", "last"), ("NEXT ATTEMPT", "next_attempt_at"), ("CREATED", "created_at"),
]  # fmt: skip
MAX_CELL = 40
API_PAGE = 500  # the most the API lists at once
# The audit trail tells the CLI's actions by this name (`hub.api.audit`).
CLI_AGENT = "hub-cli/0.1"


class CliError(Exception):
    """A user's mistake or a refusal: printed as one line, and the process exits with `code`."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class ApiClient:
    """A small async client of the admin API; every failure becomes a `CliError`."""

    def __init__(self, url: str, token: str) -> None:
        self._base = url.rstrip("/")
        try:
            self._client = httpx.AsyncClient(
                base_url=self._base,
                headers={"authorization": f"Bearer {token}", "user-agent": CLI_AGENT},
                timeout=30,
            )
        except (httpx.InvalidURL, ValueError) as exc:
            raise CliError(f"the hub's URL {url!r} is not valid ({exc})", 2) from None

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._client.request(method, path, **kwargs)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise CliError(f"the hub's URL {self._base!r} is not valid ({exc})", 2) from None
        except (httpx.TransportError, OSError) as exc:
            why = str(exc) or type(exc).__name__
            raise CliError(f"cannot reach the hub at {self._base}: {why}", 3) from None
        if response.status_code >= 400:
            raise CliError(
                f"{method} {path} refused: {response.status_code} {_detail(response)}", 1
            )
        return response.json()

    async def aclose(self) -> None:
        await self._client.aclose()


def _detail(response: httpx.Response) -> str:
    try:
        doc = response.json()
    except ValueError:
        return response.text[:200]
    return str(doc.get("detail", doc))[:300] if isinstance(doc, dict) else str(doc)[:300]


def client(args: argparse.Namespace, env: Mapping[str, str]) -> ApiClient:
    token = env.get("HUB_ADMIN_TOKEN", "")
    if not token:
        raise ConfigError("set HUB_ADMIN_TOKEN to the admin token")
    default = f"http://{env.get('HUB_HOST', '127.0.0.1')}:{env.get('HUB_PORT', '8000')}"
    return ApiClient(args.url or env.get("HUB_URL") or default, token)


Command = Callable[[argparse.Namespace, Mapping[str, str]], Coroutine[Any, Any, int]]


def sync_command(run: Command) -> Callable[[argparse.Namespace, Mapping[str, str]], int]:
    """An async command as argparse runs it: in a loop of its own."""

    def command(args: argparse.Namespace, env: Mapping[str, str]) -> int:
        return asyncio.run(run(args, env))

    return command


def filters(args: argparse.Namespace, *names: str) -> dict[str, str]:
    named = {name: getattr(args, name, None) for name in names}
    return {key: value for key, value in named.items() if value}


# listing ----------------------------------------------------------------------------------


def when(value: str | None) -> str:
    """An API time as a table shows it: UTC to the second."""
    if not value:
        return "-"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return value
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def duration(seconds: float) -> str:
    """A span as people say it: 3d 4h, 2h 5m, 40s."""
    left = int(seconds)
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if left >= size:
            parts.append(f"{left // size}{unit}")
            left %= size
    return " ".join(parts[:2]) or f"{left}s"


def moment(value: str | None, now: float) -> str:
    """An API time, absolute and relative to ``now``: ``2026-12-07 09:15:02Z (3m ago)``."""
    shown = when(value)
    try:
        at = datetime.fromisoformat((value or "").replace("Z", "+00:00")).timestamp()
    except ValueError:
        return shown
    gap = at - now
    relative = "now" if abs(gap) < 1 else (
        f"in {duration(gap)}" if gap > 0 else f"{duration(-gap)} ago")  # fmt: skip
    return f"{shown} ({relative})"


def row(delivery: Mapping[str, Any]) -> list[str]:
    """A delivery as a row, its times absolute (previews of bulk actions)."""
    last = delivery.get("last_status_code") or delivery.get("last_error") or "-"
    cells = dict(delivery) | {
        "last": last,
        "next_attempt_at": when(delivery.get("next_attempt_at")),
        "created_at": when(delivery.get("created_at")),
    }
    return [cell(cells.get(key)) for _, key in PAGE_COLUMNS]


def listed_row(
    descriptions: Mapping[str, str], now: float
) -> Callable[[Mapping[str, Any]], list[str]]:
    """Rows of ``hub deliveries``: times absolute and relative, each subscription by its id
    and description (never its URL, which may carry a credential)."""

    def cells(delivery: Mapping[str, Any]) -> list[str]:
        sub = delivery.get("subscription_id")
        about = descriptions.get(sub or "")
        last = delivery.get("last_status_code") or delivery.get("last_error") or "-"
        shown = dict(delivery) | {
            "subscription_id": f"{sub} ({about})" if about else sub,
            "last": last,
            "next_attempt_at": moment(delivery.get("next_attempt_at"), now),
            "created_at": moment(delivery.get("created_at"), now),
        }
        return [cell(shown.get(key)) for _, key in PAGE_COLUMNS]

    return cells


def cell(value: Any) -> str:
    text = "-" if value is None or value == "" else " ".join(str(value).split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def table(
    items: list[Mapping[str, Any]],
    columns: list[tuple[str, str]] = PAGE_COLUMNS,
    cells: Callable[[Mapping[str, Any]], list[str]] = row,
) -> list[str]:
    """Items (deliveries, unless told) as aligned lines under a header row."""
    rows = [[title for title, _ in columns], *(cells(d) for d in items)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def show_page(
    page: Mapping[str, Any],
    json: bool,
    noun: str,
    columns: list[tuple[str, str]] = PAGE_COLUMNS,
    cells: Callable[[Mapping[str, Any]], list[str]] = row,
) -> int:
    """A page of a listing as the API's JSON, or a table and where the next page starts."""
    if json:
        print(as_json(page))
        return 0
    if not page["items"]:
        print(f"no {noun} match")
        return 0
    for line in table(page["items"], columns, cells):
        print(line)
    if page.get("next_cursor"):
        print(f"\nmore {noun} match: add --cursor {page['next_cursor']}")
    return 0


async def deliveries(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Exactly ``--limit`` deliveries (fetched in pages of the API's largest), then how many
    more match."""
    if args.limit < 1:
        raise CliError("--limit must be 1 or more", 2)
    api = client(args, env)
    try:
        page = await _pages(api, filters(args, *FILTERS), args.cursor, args.limit)
        subs = [] if args.json else (await api.call("GET", "/api/subscriptions"))["items"]
    finally:
        await api.aclose()
    if args.json:
        print(as_json(page))
        return 0
    descriptions = {s["id"]: s["description"] for s in subs if s.get("description")}
    if not page["items"]:
        print("no deliveries match")
        return 0
    for line in table(page["items"], PAGE_COLUMNS, listed_row(descriptions, time.time())):
        print(line)
    after = page["next_cursor"]
    if after and args.cursor is None:
        print(f"\n{page['total'] - len(page['items']):,} more; --limit or --cursor {after}")
    elif after:  # a later page: what came before it is not known here
        print(f"\n{page['total']:,} match in all; the next page: --cursor {after}")
    return 0


async def _pages(
    api: ApiClient, params: dict[str, str], cursor: str | None, limit: int
) -> dict[str, Any]:
    """Pages of at most `API_PAGE` until ``limit`` items or the last; the first one counts."""
    items: list[Any] = []
    total: int | None = None
    while True:
        ask = {**params, "limit": str(min(API_PAGE, limit - len(items)))}
        ask |= ({"cursor": cursor} if cursor else {}) | ({} if items else {"count": "true"})
        page = await api.call("GET", "/api/deliveries", params=ask)
        total = page.get("total", total)
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None or len(items) >= limit:
            return {"items": items, "next_cursor": cursor, "total": total}


def as_json(doc: Any) -> str:
    import json

    return json.dumps(doc, indent=2)


# bulk actions -----------------------------------------------------------------------------

FILTERS = ("status", "subscription", "event_type", "subject", "since")


def progress(done: int, total: int) -> None:
    filled = PROGRESS_WIDTH * done // total if total else PROGRESS_WIDTH
    bar = "#" * filled + "." * (PROGRESS_WIDTH - filled)
    sys.stderr.write(f"\r[{bar}] {done}/{total}")
    sys.stderr.flush()


def confirmed(count: int, verb: str, yes: bool, ask: Callable[[str], str]) -> bool:
    """Whether to go on: always for a few or with --yes; else only a 'y' typed at a terminal.

    Raises:
        CliError: many match, and there is no terminal to ask at.
    """
    if yes or count <= CONFIRM_ABOVE:
        return True
    if not sys.stdin.isatty():
        raise CliError(f"{count} deliveries match; add --yes to {verb} them", 1)
    return ask(f"{verb} {count} deliveries? [y/N] ").strip().lower() in ("y", "yes")


async def bulk(args: argparse.Namespace, env: Mapping[str, str], action: str) -> int:
    """Replay (``action="replay"``) or retry now (``"retry"``) everything that matches."""
    api = client(args, env)
    names = FILTERS if action == "replay" else tuple(f for f in FILTERS if f != "status")
    body: dict[str, Any] = filters(args, *names)
    path, done_key = f"/api/deliveries/{action}", "queued" if action == "replay" else "retried"
    try:
        preview = await api.call("POST", path, json=body | {"dry_run": True})
        for reason, count in preview.get("skipped", {}).items():
            print(f"{count} skipped: {reason.replace('_', ' ')}")
        if getattr(args, "dry_run", False):
            return _dry_run(preview, action)
        if not confirmed(preview["count"], action, args.yes, input):
            print("nothing changed")
            return 1
        done = await _chunks(api, path, body, done_key, preview["count"])
    finally:
        await api.aclose()
    print(f"queued {done} deliveries again" if action == "replay" else f"retried {done} now")
    return 0


def _dry_run(preview: Mapping[str, Any], action: str) -> int:
    """What a bulk action would touch: the count and the first rows; nothing changes."""
    count, first = preview["count"], preview.get("first", [])
    verb = "replay" if action == "replay" else "retry now"
    print(f"dry run: would {verb} {count} deliveries; nothing changed")
    if first:
        for line in table(first):
            print(line)
        if count > len(first):
            print(f"... and {count - len(first)} more")
    return 0


async def _chunks(api: ApiClient, path: str, body: dict[str, Any], key: str, total: int) -> int:
    done = 0
    while total:
        answer = await api.call("POST", path, json=body | {"limit": CHUNK})
        done += answer[key]
        total = max(total, done + answer["remaining"])
        progress(done, total)
        if answer[key] == 0 or answer["remaining"] == 0:
            break
    if done:
        sys.stderr.write("\n")
    return done


async def one(args: argparse.Namespace, env: Mapping[str, str], action: str) -> int:
    api = client(args, env)
    try:
        delivery = await api.call("POST", f"/api/deliveries/{args.delivery_id}/{action}")
    finally:
        await api.aclose()
    verb = "queued" if action == "replay" else "made"
    tail = "again" if action == "replay" else "due now"
    print(f"{verb} {delivery['id']} {tail} ({delivery['subscription_id']})")
    return 0


def add_filters(parser: argparse.ArgumentParser, status: bool = True) -> None:
    parser.add_argument("--url", help="the hub's base URL (HUB_URL, default from HUB_HOST/PORT)")
    if status:
        parser.add_argument("--status", choices=["pending", "succeeded", "failed"])
    parser.add_argument("--subscription")
    parser.add_argument("--event-type")
    parser.add_argument("--subject", help="an event's subject, e.g. order/1001")
    parser.add_argument("--since", help="RFC 3339, Unix seconds, or a duration ago: 30m, 1h, 2d")
