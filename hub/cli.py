"""The ``hub`` command: serve, check, event-types, deliveries, replay, sign.

`serve` and `check` read the configuration like the server does. `deliveries` and `replay`
talk to a running hub over its admin API (``--url``, token from ``HUB_ADMIN_TOKEN``), because
one hub process owns its database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from hub import signing
from hub.config import ENV_NAMES, Settings, load_settings
from hub.errors import ConfigError

PROGRESS_WIDTH = 30
REPLAY_CHUNK = 1000


def _settings(args: argparse.Namespace, env: Mapping[str, str]) -> Settings:
    flags: dict[str, Any] = {name: getattr(args, name, None) for name in ENV_NAMES}
    flags["connector_secret"] = getattr(args, "connector_secret", None)
    return load_settings(env, flags)


def cmd_serve(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    import uvicorn

    from hub import server
    from hub.app import create_app, load_components

    settings = _settings(args, env)
    components = load_components(settings, env)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = create_app(settings, components, settle_heap=True)
    config = server.config(app, settings)
    print(f"hub: serving on http://{settings.host}:{settings.port}", flush=True)
    uvicorn.Server(config).run()
    return 0


def cmd_check(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from hub.app import load_components

    settings = _settings(args, env)
    components = load_components(settings, env)
    print(f"schemas:       {len(list(components.catalog))} event types ({settings.schemas_dir})")
    print(f"connectors:    {', '.join(sorted(components.connectors))}")
    print(f"connector settings: {settings.connectors}")
    configs = sorted(components.connector_configs.items())
    unset = [name for name, config in configs if config.enabled and not config.secrets]
    if unset:
        print(f"  warning: no secret set for {', '.join(unset)}; they refuse every request")
    for name, config in configs:
        if not config.enabled:
            print(f"  {name}: disabled")
        elif config.secrets:
            policy = (
                f", company policy of {len(config.policy.rules)} rule(s)" if config.policy else ""
            )
            fetch = ", fetches thin payloads" if config.fetch else ""
            print(f"  {name}: {len(config.secrets)} secret(s){policy}{fetch}")
    print(f"subscriptions: {len(components.subscriptions)} ({settings.subscriptions})")
    for sub in components.subscriptions:
        print(f"  {sub.id}: {', '.join(sub.events)} -> {sub.url}")
    print("configuration OK")
    return 0


def cmd_event_types(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from hub.catalog import load_catalog

    catalog = load_catalog(_settings(args, env).schemas_dir)
    if args.json:
        print(json.dumps([t.describe() for t in catalog], indent=2))
        return 0
    for t in catalog:
        name = "<entity>.created|updated|deleted" if t.pattern is not None else t.name
        print(f"{name:<28} {t.version:<6} {t.description}")
    return 0


def cmd_sign(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Print the Standard Webhooks signature of a body (for curl walk-throughs and tests)."""
    secret = args.secret or env.get("HUB_CONNECTOR_STANDARD_SECRET", "").split(" ")[0]
    if not secret:
        raise ConfigError("give --secret or set HUB_CONNECTOR_STANDARD_SECRET")
    body = sys.stdin.buffer.read() if args.body == "-" else args.body.encode()
    timestamp = args.timestamp if args.timestamp is not None else int(time.time())
    print(signing.sign(signing.decode_secret(secret), args.id, timestamp, body))
    return 0


class ApiClient:
    """A small async client of the admin API."""

    def __init__(self, url: str, token: str) -> None:
        self._client = httpx.AsyncClient(
            base_url=url.rstrip("/"), headers={"authorization": f"Bearer {token}"}, timeout=30
        )

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._client.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise SystemExit(f"hub: {method} {path} failed: {response.status_code} {detail}")
        return response.json()

    async def aclose(self) -> None:
        await self._client.aclose()


def _client(args: argparse.Namespace, env: Mapping[str, str]) -> ApiClient:
    token = env.get("HUB_ADMIN_TOKEN", "")
    if not token:
        raise ConfigError("set HUB_ADMIN_TOKEN to the admin token")
    default = f"http://{env.get('HUB_HOST', '127.0.0.1')}:{env.get('HUB_PORT', '8000')}"
    return ApiClient(args.url or env.get("HUB_URL") or default, token)


def _filters(args: argparse.Namespace) -> dict[str, str]:
    named = {
        "status": args.status,
        "subscription": args.subscription,
        "event_type": args.event_type,
        "since": args.since,
    }
    return {key: value for key, value in named.items() if value}


async def _deliveries(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    client = _client(args, env)
    params = {**_filters(args), "limit": str(args.limit)}
    try:
        page = await client.call("GET", "/api/deliveries", params=params)
    finally:
        await client.aclose()
    if args.json:
        print(json.dumps(page, indent=2))
        return 0
    for d in page["items"]:
        last = d["last_status_code"] or d["last_error"] or ""
        print(f"{d['id']}  {d['status']:<9} {d['subscription_id']:<20} {d['event_type']:<20} "
              f"attempts={d['attempt_count']}  {last}")  # fmt: skip
    if not page["items"]:
        print("no deliveries match")
    return 0


def _progress(done: int, total: int) -> None:
    filled = PROGRESS_WIDTH * done // total if total else PROGRESS_WIDTH
    bar = "#" * filled + "." * (PROGRESS_WIDTH - filled)
    sys.stderr.write(f"\r[{bar}] {done}/{total}")
    sys.stderr.flush()


async def _replay(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    client = _client(args, env)
    try:
        if args.delivery_id:
            delivery = await client.call("POST", f"/api/deliveries/{args.delivery_id}/replay")
            print(f"queued {delivery['id']} again ({delivery['subscription_id']})")
            return 0
        body = _filters(args)
        done, total = 0, None
        while True:
            answer = await client.call(
                "POST", "/api/deliveries/replay", json={**body, "limit": REPLAY_CHUNK}
            )
            done += answer["queued"]
            total = total or done + answer["remaining"]
            _progress(done, total)
            if answer["queued"] == 0 or answer["remaining"] == 0:
                break
        sys.stderr.write("\n")
        print(f"queued {done} deliveries again")
        return 0
    finally:
        await client.aclose()


def cmd_listen(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from hub import listener

    secret = args.secret or env.get("HUB_DEMO_SUBSCRIPTION_SECRET", "")
    if not secret:
        raise ConfigError("give --secret or set HUB_DEMO_SUBSCRIPTION_SECRET")
    listener.run(args.port, secret, args.status)
    return 0


def cmd_deliveries(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    return asyncio.run(_deliveries(args, env))


def cmd_replay(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if not args.delivery_id and not args.status:
        args.status = "failed"
    return asyncio.run(_replay(args, env))


def _serve_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per setting, named after it: --database-url for HUB_DATABASE_URL, and so on."""
    for name, env_name in ENV_NAMES.items():
        note = " (prefer the variable: flags show in ps)" if name == "admin_token" else ""
        parser.add_argument(f"--{name.replace('_', '-')}", help=f"{env_name}{note}")
    parser.add_argument(
        "--connector-secret",
        action="append",
        metavar="NAME=SECRET",
        help="HUB_CONNECTOR_<NAME>_SECRET, repeatable (prefer the variable: flags show in ps)",
    )


def _api_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="the hub's base URL (HUB_URL, default from HUB_HOST/PORT)")
    parser.add_argument("--status", choices=["pending", "succeeded", "failed"])
    parser.add_argument("--subscription")
    parser.add_argument("--event-type")
    parser.add_argument("--since", help="RFC 3339 or Unix seconds")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="hub", description="The webhook integration hub.")
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the hub")
    _serve_flags(serve)
    serve.set_defaults(run=cmd_serve)
    check = commands.add_parser("check", help="validate configuration, subscriptions, schemas")
    _serve_flags(check)
    check.set_defaults(run=cmd_check)
    types = commands.add_parser("event-types", help="print the event catalog")
    types.add_argument("--schemas-dir")
    types.add_argument("--json", action="store_true")
    types.set_defaults(run=cmd_event_types)
    deliveries = commands.add_parser("deliveries", help="list deliveries of a running hub")
    _api_flags(deliveries)
    deliveries.add_argument("--limit", type=int, default=50)
    deliveries.add_argument("--json", action="store_true")
    deliveries.set_defaults(run=cmd_deliveries)
    replay = commands.add_parser("replay", help="replay one delivery, or many by filter")
    replay.add_argument("delivery_id", nargs="?")
    _api_flags(replay)
    replay.set_defaults(run=cmd_replay)
    sign = commands.add_parser("sign", help="print a Standard Webhooks signature for a body")
    sign.add_argument("--id", required=True, help="the webhook-id")
    sign.add_argument("--timestamp", type=int, help="Unix seconds (default now)")
    sign.add_argument("--secret", help="whsec_ key (default HUB_CONNECTOR_STANDARD_SECRET)")
    sign.add_argument("body", help="the exact body, or - to read it from stdin")
    sign.set_defaults(run=cmd_sign)
    listen = commands.add_parser("listen", help="a demo receiver that verifies and prints")
    listen.add_argument("--port", type=int, default=9000)
    listen.add_argument("--secret", help="whsec_ key (default HUB_DEMO_SUBSCRIPTION_SECRET)")
    listen.add_argument("--status", type=int, default=200, help="the status to answer")
    listen.set_defaults(run=cmd_listen)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args, os.environ)
    except ConfigError as exc:
        print(f"hub: configuration error: {exc.detail}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
