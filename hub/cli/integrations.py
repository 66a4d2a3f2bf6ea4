"""`hub integrations export power-automate DIR`: the custom connector's three files, which
`paconn create` takes, generated from the catalog, rules and settings of this checkout."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hub.app import rules_path
from hub.catalog import Catalog, load_catalog
from hub.cli.admin import CliError
from hub.config import load_settings
from hub.integrations import power_automate, zapier
from hub.state.rules import Rules, load_rules


def add_commands(commands: Any) -> None:
    integrations = commands.add_parser("integrations", help="low-code connectors")
    verbs = integrations.add_subparsers(dest="verb", required=True)
    export = verbs.add_parser("export", help="write a platform's connector files")
    export.add_argument("platform", choices=["power-automate", "zapier"])
    export.add_argument("directory", type=Path)
    export.set_defaults(run=cmd_export)


def cmd_export(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    settings = load_settings(env)
    catalog = load_catalog(settings.schemas_dir)
    rules = load_rules(rules_path(settings.rules), catalog)
    out: Path = args.directory
    try:
        return _export(args.platform, out, catalog, rules, settings.public_base())
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror or exc}", 2) from None  # a bad argument


def _export(platform: str, out: Path, catalog: Catalog, rules: Rules, public_url: str) -> int:
    out.mkdir(parents=True, exist_ok=True)
    if platform == "zapier":
        count = zapier.export(out, catalog, rules, public_url)
        print(f"wrote a Zapier app with {count} triggers to {out}; `npm ci && npm test` there")
        return 0
    swagger = power_automate.definition(catalog, rules, public_url)
    (out / "apiDefinition.swagger.json").write_text(json.dumps(swagger, indent=2) + "\n")
    (out / "apiProperties.json").write_text(json.dumps(power_automate.properties(), indent=2))
    (out / "icon.png").write_bytes(power_automate.icon_png())
    triggers = sum(1 for p in swagger["paths"].values() for op in p.values()
                   if "x-ms-trigger" in op)  # fmt: skip
    print(
        f"wrote {out}/apiDefinition.swagger.json ({triggers} triggers), apiProperties.json, "
        f"icon.png for {swagger['schemes'][0]}://{swagger['host']}{swagger['basePath']}"
    )
    return 0
