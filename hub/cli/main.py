"""The ``hub`` command: serve, check, event-types, deliveries, replay, retry, objects, state,
sign, listen.

`serve` and `check` read the configuration like the server does. `deliveries`, `replay`,
`retry`, `objects` and `state` talk to a running hub over its admin API (``--url``, token from
``HUB_ADMIN_TOKEN``), because one hub process owns its database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

from hub import signing
from hub.cli import admin, integrations, objects, operations, partners
from hub.config import ENV_NAMES, Settings, load_settings
from hub.errors import ConfigError
from hub.inbound.connector import ConnectorConfig
from hub.observe import logs
from hub.store import masked


def _settings(args: argparse.Namespace, env: Mapping[str, str]) -> Settings:
    flags: dict[str, Any] = {name: getattr(args, name, None) for name in ENV_NAMES}
    flags["connector_secret"] = getattr(args, "connector_secret", None)
    return load_settings(env, flags)


def cmd_serve(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from hub.app import create_app, load_components
    from hub.cli import server

    settings = _settings(args, env)
    components = load_components(settings, env)
    writer = logs.configure(settings.log_level, settings.log_format, settings.log_buffer)
    sock = server.bind(settings.host, settings.port)
    app = create_app(settings, components, settle_heap=True)
    running = server.Server(server.config(app, settings), on_exit=writer.stop)
    try:
        running.run(sockets=[sock])
    except SystemExit:  # uvicorn's own code for a failed start-up; ours is the usage one
        return EXIT_USAGE
    return 0 if running.started else EXIT_USAGE


def cmd_check(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Validate everything `serve` reads; what only a real start would refuse is a warning."""
    from hub.app import load_components

    settings = _settings(args, env)
    warnings: list[str] = []
    components = load_components(settings, env, warnings)
    print(f"database:      {masked(settings.database_url)}")
    print(f"schemas:       {len(list(components.catalog))} event types ({settings.schemas_dir})")
    print(f"connectors:    {', '.join(sorted(components.connectors))}")
    print(f"connector settings: {settings.connectors}")
    for name, config in sorted(components.connector_configs.items()):
        warnings += _connector_warnings(name, config)
        if not config.enabled:
            print(f"  {name}: disabled")
        elif config.secrets:
            policy = (
                f", company policy of {len(config.policy.rules)} rule(s)" if config.policy else ""
            )
            fetch = ", fetches thin payloads" if config.fetch else ""
            print(f"  {name}: {len(config.secrets)} secret(s){policy}{fetch}")
    rules = components.rules.types
    shown = ", ".join(f"{n} ({len(t.statuses)} statuses)" for n, t in rules.items()) or "off"
    print(f"rules:         {shown} ({settings.rules})")
    print(f"subscriptions: {len(components.subscriptions)} ({settings.subscriptions})")
    for sub in components.subscriptions:
        print(f"  {sub.id}: {', '.join(sub.events)} -> {sub.url}")
    for warning in warnings:
        print(f"  warning: {warning}")
    print("configuration OK" + (f" ({len(warnings)} warning(s))" if warnings else ""))
    return 0


def _connector_warnings(name: str, config: ConnectorConfig) -> list[str]:
    if not config.enabled:
        return []
    unset = ", ".join(f"env:{v}" for v in config.unset)
    if not config.secrets:
        why = f" ({unset} not set)" if unset else ""
        return [f"connector {name}: no secret{why}; it refuses every request"]
    return [f"connector {name}: {unset} not set"] if unset else []


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
    try:
        key = signing.decode_secret(secret)
    except ValueError as exc:
        raise ConfigError(f"the signing secret is not a whsec_ key ({exc})") from None
    print(signing.sign(key, args.id, timestamp, body))
    return 0


def cmd_listen(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from hub.cli import listener

    secret = args.secret or env.get("HUB_DEMO_SUBSCRIPTION_SECRET", "")
    if not secret:
        raise ConfigError("give --secret or set HUB_DEMO_SUBSCRIPTION_SECRET")
    source = "--secret" if args.secret else "HUB_DEMO_SUBSCRIPTION_SECRET"
    if not secret.startswith(signing.SECRET_PREFIX):
        raise ConfigError(f"{source}: not a whsec_ key (the subscription's signing secret)")
    try:
        signing.decode_secret(secret)
    except ValueError:
        raise ConfigError(f"{source}: the whsec_ key is not base64") from None
    from hub.cli import server

    sock = server.bind("127.0.0.1", args.port, "--port")
    listener.run(sock, secret, args.status)
    return 0


def cmd_admin_token(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """`hub admin-token rotate`: a new admin token, printed once; the old one stops working.

    It writes the database itself, so the hub must be stopped (its lock says so otherwise).
    """
    from hub.app import rotate_admin_token

    settings = _settings(args, env)
    if settings.admin_token is not None:
        raise ConfigError(
            "HUB_ADMIN_TOKEN is set, and the hub takes it over any stored token: "
            "choose a new value for it instead (or unset it, then rotate)"
        )
    token = asyncio.run(rotate_admin_token(settings))
    print("A new admin token; it is shown once and stored only as a hash. The old one")
    print("no longer works once the hub starts again:\n")
    print(f"    export HUB_ADMIN_TOKEN={token}")
    return 0


def cmd_migrate(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """`hub migrate [--status]`: apply pending schema migrations, or list them."""
    from hub.cli.migrations import migrate

    return migrate(_settings(args, env), args.status)


def cmd_deliveries(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    return asyncio.run(admin.deliveries(args, env))


def cmd_replay(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if not args.delivery_id and not args.status:
        args.status = "failed"
    return _one_or_bulk(args, env, "replay")


def cmd_retry(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    return _one_or_bulk(args, env, "retry")


def _one_or_bulk(args: argparse.Namespace, env: Mapping[str, str], action: str) -> int:
    """One delivery by its id, or every one the filters match."""
    if args.delivery_id and args.dry_run:
        raise ConfigError(f"--dry-run counts a bulk {action} (by filter), not one delivery")
    if args.delivery_id:
        return asyncio.run(admin.one(args, env, action))
    return asyncio.run(admin.bulk(args, env, action))


def _serve_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per setting, named after it: --database-url for HUB_DATABASE_URL, and so on."""
    for name, env_name in ENV_NAMES.items():
        secret = name in ("admin_token", "metrics_token")
        note = " (prefer the variable: flags show in ps)" if secret else ""
        parser.add_argument(f"--{name.replace('_', '-')}", help=f"{env_name}{note}")
    parser.add_argument(
        "--connector-secret",
        action="append",
        metavar="NAME=SECRET",
        help="HUB_CONNECTOR_<NAME>_SECRET, repeatable (prefer the variable: flags show in ps)",
    )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="hub", description="The webhook integration hub.")
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the hub")
    _serve_flags(serve)
    serve.set_defaults(run=cmd_serve)
    check = commands.add_parser("check", help="validate configuration, subscriptions, schemas")
    _serve_flags(check)
    check.set_defaults(run=cmd_check)
    migrate = commands.add_parser("migrate", help="apply pending schema migrations (hub stopped)")
    migrate.add_argument("--status", action="store_true", help="say where the schema stands")
    _serve_flags(migrate)
    migrate.set_defaults(run=cmd_migrate)
    admin_token = commands.add_parser("admin-token", help="replace a lost admin token")
    verbs = admin_token.add_subparsers(dest="verb", required=True)
    rotate = verbs.add_parser("rotate", help="store a new admin token (the hub stopped)")
    rotate.add_argument("--database-url", help="HUB_DATABASE_URL")
    rotate.set_defaults(run=cmd_admin_token)
    types = commands.add_parser("event-types", help="print the event catalog")
    types.add_argument("--schemas-dir")
    types.add_argument("--json", action="store_true")
    types.set_defaults(run=cmd_event_types)
    deliveries = commands.add_parser("deliveries", help="list deliveries of a running hub")
    admin.add_filters(deliveries)
    deliveries.add_argument("--limit", type=int, default=50)
    deliveries.add_argument("--cursor", help="the next page, as the previous one says")
    deliveries.add_argument("--json", action="store_true")
    deliveries.set_defaults(run=cmd_deliveries)
    replay = commands.add_parser("replay", help="replay one delivery, or many by filter")
    replay.add_argument("delivery_id", nargs="?")
    admin.add_filters(replay)
    replay.add_argument("--yes", action="store_true", help="do not ask above 10 deliveries")
    replay.add_argument("--dry-run", action="store_true", help="count and show; change nothing")
    replay.set_defaults(run=cmd_replay)
    retry = commands.add_parser("retry", help="make waiting deliveries due now, one or by filter")
    retry.add_argument("delivery_id", nargs="?")
    admin.add_filters(retry, status=False)
    retry.add_argument("--yes", action="store_true", help="do not ask above 10 deliveries")
    retry.add_argument("--dry-run", action="store_true", help="count and show; change nothing")
    retry.set_defaults(run=cmd_retry)
    operations.add_commands(commands)
    partners.add_commands(commands)
    objects.add_commands(commands)
    integrations.add_commands(commands)
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


# Exit codes, as the README documents them.
EXIT_REFUSED = 1  # the hub answered with an error, or a confirmation was declined
EXIT_USAGE = 2  # a bad flag, URL, setting or configuration file
EXIT_UNREACHABLE = 3  # the hub could not be reached
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # the reader of the output went away (`hub event-types | head`)


def _leaves(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parsers of runnable commands (`hub replay`, `hub issues list`), however deep."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        return [parser]
    return [leaf for a in subparsers for p in a.choices.values() for leaf in _leaves(p)]


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line; an unknown flag gets the usage of the command it was given to, not
    the top-level one (argparse hands unknown flags up to the root parser)."""
    root = parser()
    for leaf in _leaves(root):
        leaf.set_defaults(usage_of=leaf)
    args, unknown = root.parse_known_args(argv)
    if unknown:
        args.usage_of.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a user's mistake is one line on stderr and a documented exit code."""
    args = parse(argv)
    try:
        code: int = args.run(args, os.environ)
        sys.stdout.flush()  # a closed pipe shows here rather than at interpreter exit
    except ConfigError as exc:
        lines = exc.detail.splitlines() or [""]
        if len(lines) > 1:
            return _fail(
                f"configuration errors ({len(lines)}):\n  " + "\n  ".join(lines), EXIT_USAGE
            )
        return _fail(f"configuration error: {lines[0]}", EXIT_USAGE)
    except admin.CliError as exc:
        return _fail(str(exc), exc.code)
    except BrokenPipeError:
        # Nothing more can be written to stdout; keep the interpreter from trying at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return _fail("the output was closed before it was all written", EXIT_BROKEN_PIPE)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    return code


def _fail(message: str, code: int) -> int:
    print(f"hub: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
