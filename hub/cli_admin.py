"""The admin commands of ``hub``: deliveries, replay and retry, against a running hub's API.

They talk to the hub over HTTP (``--url`` or ``HUB_URL``, the token from ``HUB_ADMIN_TOKEN``),
because one hub process owns its database. A bulk action counts first (``dry_run``) and, above
`CONFIRM_ABOVE` matches, asks before it acts, unless given ``--yes``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
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


def row(delivery: Mapping[str, Any]) -> list[str]:
    last = delivery.get("last_status_code") or delivery.get("last_error") or "-"
    cells = dict(delivery) | {
        "last": last,
        "next_attempt_at": when(delivery.get("next_attempt_at")),
        "created_at": when(delivery.get("created_at")),
    }
    return [cell(cells.get(key)) for _, key in PAGE_COLUMNS]


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
    api = client(args, env)
    params = {**filters(args, *FILTERS, "cursor"), "limit": str(args.limit)}
    try:
        page = await api.call("GET", "/api/deliveries", params=params)
    finally:
        await api.aclose()
    return show_page(page, args.json, "deliveries")


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
