"""``hub partners`` and ``hub tokens``: onboarding a partner through the running hub's API
(``--url`` or ``HUB_URL``, the token from ``HUB_ADMIN_TOKEN``).

::

    hub partners add acme-3pl --types 'order.*' --companies USMF
    hub tokens create acme-flow --partner acme-3pl --expires 90d
    hub partners link acme-3pl --capabilities manage,replay --expires 1h

Tokens and links are printed once, as the API shows them once.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any

from hub.cli.admin import CliError, as_json, cell, client, show_page
from hub.cli.operations import api_command

PARTNER_COLUMNS = [
    ("NAME", "name"), ("ACTIVE", "active"), ("ORIGIN", "origin"), ("TYPES", "types"),
    ("COMPANIES", "companies"), ("TOKENS", "tokens"), ("SUBSCRIPTIONS", "subscriptions"),
]  # fmt: skip
TOKEN_COLUMNS = [("ID", "id"), ("NAME", "name"), ("PARTNER", "partner"), ("STATE", "state"),
                 ("EXPIRES", "expires_at")]  # fmt: skip


def partner_row(partner: Mapping[str, Any]) -> list[str]:
    shown = dict(partner) | {
        "types": ",".join(partner.get("types", [])),
        "companies": ",".join(partner.get("companies", [])),
        "tokens": len(partner.get("tokens", [])),
        "subscriptions": len(partner.get("subscriptions", [])),
    }
    return [cell(shown.get(key)) for _, key in PARTNER_COLUMNS]


def token_row(token: Mapping[str, Any]) -> list[str]:
    return [cell(token.get(key)) for _, key in TOKEN_COLUMNS]


def _listed(raw: str | None) -> list[str] | None:
    return [p.strip() for p in raw.split(",") if p.strip()] if raw else None


async def _call(args: argparse.Namespace, env: Mapping[str, str], method: str, path: str,
                body: Any = None) -> Any:  # fmt: skip
    api = client(args, env)
    try:
        return await api.call(method, path, json=body)
    finally:
        await api.aclose()


async def list_partners(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    page = await _call(args, env, "GET", "/api/partners")
    return show_page(page, args.json, "partners", PARTNER_COLUMNS, partner_row)


async def add_partner(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    body: dict[str, Any] = {"name": args.name, "types": _listed(args.types),
                            "companies": _listed(args.companies)}  # fmt: skip
    if args.description:
        body["description"] = args.description
    if args.filter:
        try:
            body["filter"] = json.loads(args.filter)
        except ValueError:
            raise CliError("--filter must be JSON (a payload filter)", 2) from None
    if args.force_scopes:
        body["force_scopes"] = _listed(args.force_scopes)
    partner = await _call(args, env, "POST", "/api/partners", body)
    print(as_json(partner) if args.json else f"partner {partner['name']} added")
    return 0


async def change_partner(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """suspend, restore or remove a partner."""
    path = f"/api/partners/{args.name}"
    if args.verb == "remove":
        await _call(args, env, "DELETE", path)
        print(f"partner {args.name} removed, with its tokens and portal links")
        return 0
    partner = await _call(args, env, "PATCH", path, {"active": args.verb == "restore"})
    state = "active" if partner["active"] else "suspended"
    print(as_json(partner) if args.json else f"partner {partner['name']} {state}")
    return 0


async def portal_link(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    body: dict[str, Any] = {"expires_in": args.expires}
    if args.capabilities:
        body["capabilities"] = _listed(args.capabilities)
    link = await _call(args, env, "POST", f"/api/partners/{args.name}/portal-links", body)
    if args.json:
        print(as_json(link))
        return 0
    print(f"A single-use sign-in link for {args.name} ({', '.join(link['capabilities'])}), "
          f"valid until {link['expires_at']}; it is shown once:")  # fmt: skip
    print(f"    {link['url']}")
    return 0


async def list_tokens(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    page = await _call(args, env, "GET", "/api/tokens")
    return show_page(page, args.json, "tokens", TOKEN_COLUMNS, token_row)


async def create_token(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    body: dict[str, Any] = {"name": args.name}
    if args.partner:
        body["partner"] = args.partner
    if args.expires:
        body["expires_in"] = args.expires
    token = await _call(args, env, "POST", "/api/tokens", body)
    if args.json:
        print(as_json(token))
        return 0
    until = f", until {token['expires_at']}" if token.get("expires_at") else ""
    print(f"token {token['id']} for {token.get('partner') or 'no partner'}{until}; "
          "it is shown once:")  # fmt: skip
    print(f"    {token['token']}")
    return 0


async def revoke_token(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    await _call(args, env, "DELETE", f"/api/tokens/{args.id}")
    print(f"token {args.id} revoked")
    return 0


def add_commands(commands: Any) -> None:
    """``hub partners [list|add|suspend|restore|remove|link]`` and
    ``hub tokens [list|create|revoke]``."""
    partners = commands.add_parser("partners", help="partners and what each may see")
    verbs = partners.add_subparsers(dest="verb", required=True)
    api_command(verbs.add_parser("list", help="every partner"), list_partners)
    add = verbs.add_parser("add", help="declare a partner through the API")
    add.add_argument("name", help="a-z, 0-9, '.', '_' and '-'")
    add.add_argument("--types", required=True, help="event type patterns: 'order.*,customer.*'")
    add.add_argument("--companies", required=True, help="companies: USMF,DEMF or '*'")
    add.add_argument("--filter", help="a fixed payload filter, JSON")
    add.add_argument("--force-scopes", help="force scopes of rules.yaml it holds")
    add.add_argument("--description")
    api_command(add, add_partner)
    for verb, what in (("suspend", "end its access now"), ("restore", "give its access back"),
                       ("remove", "remove an API partner with its tokens and links")):  # fmt: skip
        change = verbs.add_parser(verb, help=what)
        change.add_argument("name")
        api_command(change, change_partner)
    link = verbs.add_parser("link", help="a single-use sign-in link to its console view")
    link.add_argument("name")
    link.add_argument("--expires", default="1h", help="how long it is valid (default 1h)")
    link.add_argument("--capabilities", help="manage,replay,rotate (view always)")
    api_command(link, portal_link)
    tokens = commands.add_parser("tokens", help="scoped API tokens")
    verbs = tokens.add_subparsers(dest="verb", required=True)
    api_command(verbs.add_parser("list", help="every token (never its value)"), list_tokens)
    create = verbs.add_parser("create", help="a token for a flow, shown once")
    create.add_argument("name", help="who or what it is for")
    create.add_argument("--partner", help="the partner it acts for (what it may see)")
    create.add_argument("--expires", help="a lifetime: seconds or 90s, 12h, 90d")
    api_command(create, create_token)
    revoke = verbs.add_parser("revoke", help="refuse a token from its next request on")
    revoke.add_argument("id")
    api_command(revoke, revoke_token)
