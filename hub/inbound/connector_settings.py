"""Connector settings: `connectors.yaml`, read once at start-up (``HUB_CONNECTORS``).

::

    connectors:
      shopify:
        enabled: true                          # the default; false answers 404
        secrets: [env:SHOPIFY_SECRET, env:SHOPIFY_SECRET_PREVIOUS]
        options: {}                            # connector-specific, see each module
        company_policy: {...}                  # see hub.policy
        fetch:                                 # thin payloads, see hub.inbound.fetcher
          base_url: https://api.bigcommerce.com
          allowed_hosts: [ssapi.shipstation.com]
          username: env:SHIPSTATION_API_KEY
          password: env:SHIPSTATION_API_SECRET
          headers: {X-Auth-Token: env:BIGCOMMERCE_TOKEN}
          timeout: 5                           # seconds per try
          attempts: 3                          # tries on 429, 502-504 and resets
          deadline: 10                         # seconds for all tries, waits included

Secrets are ``env:VARIABLE`` references; a variable that is not set leaves that secret out (the
connector then refuses everything with 401, and ``hub check`` says so). The variable
``HUB_CONNECTOR_<NAME>_SECRET`` adds secrets to any connector, with or without an entry here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from hub.config import Secret
from hub.errors import ConfigError
from hub.inbound.connector import Connector, ConnectorConfig
from hub.inbound.fetcher import FetchSettings
from hub.inbound.policy import parse_company_policy
from hub.urls import url_problem
from hub.yamlfile import Problems, load, where

KEYS = {"enabled", "secrets", "options", "company_policy", "fetch"}
FETCH_KEYS = {"base_url", "allowed_hosts", "username", "password", "headers", "timeout",
              "attempts", "deadline"}  # fmt: skip


def _secret(raw: Any, env: Mapping[str, str], where: str) -> Secret | None:
    if not isinstance(raw, str) or not raw.startswith("env:") or len(raw) <= 4:
        # Literal secrets in a file end up in version control: only references are accepted.
        raise ConfigError(f"{where}: secrets are env:VARIABLE references")
    value = env.get(raw[4:], "")
    return Secret(value) if value else None


def unset_variables(raw: Any, env: Mapping[str, str]) -> tuple[str, ...]:
    """The variables an entry's ``secrets`` name that are not set (`hub check` warns)."""
    items = raw.get("secrets", []) if isinstance(raw, dict) else []
    named = [i[4:] for i in items if isinstance(i, str) and i.startswith("env:")]
    return tuple(name for name in named if not env.get(name))


def _secrets(raw: Any, env: Mapping[str, str], where: str) -> tuple[Secret, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: secrets must be a list of env:VARIABLE references")
    found = (_secret(item, env, f"{where}[{i}]") for i, item in enumerate(raw))
    return tuple(s for s in found if s is not None)


def _fetch(raw: Any, env: Mapping[str, str], where: str) -> FetchSettings:
    if not isinstance(raw, dict) or set(raw) - FETCH_KEYS:
        raise ConfigError(f"{where}: fetch takes {', '.join(sorted(FETCH_KEYS))}")
    base_url = raw.get("base_url")
    hosts = raw.get("allowed_hosts", [])
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h for h in hosts):
        raise ConfigError(f"{where}.allowed_hosts: a list of host or host:port names")
    problem = None if base_url is None else url_problem(base_url)
    if problem is not None:
        raise ConfigError(f"{where}.base_url: {problem}")
    headers = raw.get("headers", {})
    if not isinstance(headers, dict):
        raise ConfigError(f"{where}.headers: a mapping of header name to env:VARIABLE")
    timeout = raw.get("timeout", 5)
    if not isinstance(timeout, int | float) or not 0.1 <= timeout <= 30:
        raise ConfigError(f"{where}.timeout: seconds in 0.1..30")
    attempts = raw.get("attempts", 3)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= 10:
        raise ConfigError(f"{where}.attempts: tries in 1..10")
    deadline = raw.get("deadline", 10)
    if not isinstance(deadline, int | float) or not timeout <= deadline <= 60:
        raise ConfigError(f"{where}.deadline: seconds in timeout..60")
    found = {str(k): _secret(v, env, f"{where}.headers.{k}") for k, v in headers.items()}
    return FetchSettings(
        base_url=str(base_url).rstrip("/") if base_url else None,
        allowed_hosts=frozenset(h.lower() for h in hosts),
        username=_optional_secret(raw, "username", env, where),
        password=_optional_secret(raw, "password", env, where),
        headers={k: v for k, v in found.items() if v is not None},
        timeout=float(timeout),
        attempts=attempts,
        deadline=float(deadline),
    )


def _optional_secret(raw: dict[str, Any], key: str, env: Mapping[str, str], where: str) -> Any:
    return _secret(raw[key], env, f"{where}.{key}") if key in raw else None


def _entry(
    name: str, raw: Any, connector: Connector, env: Mapping[str, str], where: str,
    problems: Problems,
) -> ConnectorConfig:  # fmt: skip
    """One connector's settings; each section's problem is collected, not raised."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict) or set(raw) - KEYS:
        problems.found.append(f"{where}: an entry takes {', '.join(sorted(KEYS))}")
        return ConnectorConfig(name)
    config = ConnectorConfig(name, unset=unset_variables(raw, env))
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.found.append(f"{where}.enabled: true or false")
    options = raw.get("options", {})
    if not isinstance(options, dict):
        problems.found.append(f"{where}.options: a mapping")
        options = {}
    found = connector.check_options(options)
    if found:
        problems.found.append(f"{where}.options: {'; '.join(found)}")
    with problems.collect():
        config = replace(config, secrets=_secrets(raw.get("secrets", []), env, f"{where}.secrets"))
    policy, fetch = raw.get("company_policy"), raw.get("fetch")
    with problems.collect():
        if policy is not None:
            config = replace(config, policy=parse_company_policy(policy, f"{where}.company_policy"))
    with problems.collect():
        if fetch is not None:
            config = replace(config, fetch=_fetch(fetch, env, f"{where}.fetch"))
    return replace(config, enabled=enabled is not False, options=options)


def load_connector_settings(
    path: Path | None,
    connectors: Mapping[str, Connector],
    env: Mapping[str, str],
    extra_secrets: Mapping[str, tuple[Secret, ...]],
) -> dict[str, ConnectorConfig]:
    """One `ConnectorConfig` per discovered connector.

    Args:
        path: `connectors.yaml`; None or a missing default file means no entries.
        extra_secrets: from ``HUB_CONNECTOR_<NAME>_SECRET`` and ``--connector-secret``.

    Raises:
        ConfigError: every problem in the file at once, each naming its line and entry.
    """
    entries: dict[str, Any] = {}
    if path is not None and path.exists():
        document = load(path, "connector settings") or {}
        if not isinstance(document, dict) or not isinstance(document.get("connectors", {}), dict):
            raise ConfigError(f"{path}: expected a 'connectors:' mapping")
        entries = document.get("connectors") or {}
    problems = Problems()
    for name in entries:
        if name not in connectors:
            known = ", ".join(sorted(connectors))
            place = where(path, entries, name) if path else "connectors.yaml"
            problems.found.append(f"{place}: connectors.{name}: no such connector (known: {known})")
    configs: dict[str, ConnectorConfig] = {}
    for name, connector in connectors.items():
        place = f"{where(path, entries, name)}: connectors.{name}" if path else name
        config = _entry(name, entries.get(name), connector, env, place, problems)
        more = tuple(s for s in extra_secrets.get(name, ()) if s not in config.secrets)
        configs[name] = replace(config, secrets=config.secrets + more)
    problems.raise_any()
    return configs


def secrets_of(configs: Mapping[str, ConnectorConfig]) -> list[Secret]:
    """Every secret the connector settings hold, for redaction."""
    found: list[Secret] = []
    for config in configs.values():
        found += config.secrets
        if config.fetch is not None:
            found += config.fetch.secrets()
    return found
