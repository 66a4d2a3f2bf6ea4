"""Settings, read once at start-up: command-line flags, then `HUB_` variables, then defaults.

Every setting is cast and checked here, so a bad value stops start-up with a message naming the
variable. Secrets are wrapped in `Secret`, whose repr never shows the value.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hub.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///data/hub.db"  # its directory is the only one the hub creates
_CONNECTOR_SECRET = re.compile(r"^HUB_CONNECTOR_([A-Z0-9_]+)_SECRET$")


class Secret:
    """A secret string that does not leak through repr, str or logging."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret itself; call only where it is used."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    """Everything the hub reads from its environment, typed.

    Attributes mirror the `HUB_*` variables documented in the README.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = DEFAULT_DATABASE_URL
    subscriptions: Path = PROJECT_ROOT / "subscriptions.yaml"
    connectors: Path = PROJECT_ROOT / "connectors.yaml"
    rules: str = str(PROJECT_ROOT / "rules.yaml")  # "off": no business state
    # Partners and their allowances; the repository's default may be absent (none declared).
    partners: Path = PROJECT_ROOT / "partners.yaml"
    schemas_dir: Path = PROJECT_ROOT / "schemas"
    admin_token: Secret | None = None
    connector_secrets: Mapping[str, tuple[Secret, ...]] = field(default_factory=dict)
    max_body_bytes: int = 1024 * 1024
    timestamp_tolerance: int = 300
    delivery_timeout: float = 15.0
    worker_concurrency: int = 64
    worker_batch: int = 100
    poll_interval: float = 1.0
    lease_seconds: float = 120.0
    drain_seconds: float = 10.0
    commit_batch: int = 512
    http_client: str = "aiohttp"
    rejection_body_cap: int = 64 * 1024
    rejections_max: int = 10_000
    log_level: str = "info"
    log_format: str = "text"
    log_buffer: int = 10_000  # lines held for a slow log reader before new ones are dropped
    metrics: str = "on"
    # Apply pending schema migrations at start-up ("off": refuse to start while behind).
    migrate: str = "on"
    # Lets a Prometheus scraper read /metrics without the admin token.
    metrics_token: Secret | None = None
    origin: str = "webhook-hub"
    disable_after: float = 5 * 86_400.0
    allow_targets: str = ""
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 1000
    trusted_callback_hosts: str = "hooks.zapier.com,*.logic.azure.com,*.api.powerplatform.com"
    # Where makers' platforms reach the hub (https://hub.example.com); the connector's host.
    public_url: str = ""
    # A console session ends after this many seconds without a page or action.
    console_idle: float = 1800.0

    def public_base(self) -> str:
        """The public URL, or the listening address when none is set (a local hub)."""
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    def all_secrets(self) -> list[Secret]:
        """Every configured secret, for redaction."""
        found = [s for group in self.connector_secrets.values() for s in group]
        found += [s for s in (self.admin_token, self.metrics_token) if s is not None]
        return found


# name of the setting -> environment variable
ENV_NAMES: dict[str, str] = {
    "host": "HUB_HOST",
    "port": "HUB_PORT",
    "database_url": "HUB_DATABASE_URL",
    "subscriptions": "HUB_SUBSCRIPTIONS",
    "connectors": "HUB_CONNECTORS",
    "rules": "HUB_RULES",
    "partners": "HUB_PARTNERS",
    "schemas_dir": "HUB_SCHEMAS_DIR",
    "admin_token": "HUB_ADMIN_TOKEN",
    "max_body_bytes": "HUB_MAX_BODY_BYTES",
    "timestamp_tolerance": "HUB_TIMESTAMP_TOLERANCE",
    "delivery_timeout": "HUB_DELIVERY_TIMEOUT",
    "worker_concurrency": "HUB_WORKER_CONCURRENCY",
    "worker_batch": "HUB_WORKER_BATCH",
    "poll_interval": "HUB_POLL_INTERVAL",
    "lease_seconds": "HUB_LEASE_SECONDS",
    "drain_seconds": "HUB_DRAIN_SECONDS",
    "commit_batch": "HUB_COMMIT_BATCH",
    "http_client": "HUB_HTTP_CLIENT",
    "rejection_body_cap": "HUB_REJECTION_BODY_CAP",
    "rejections_max": "HUB_REJECTIONS_MAX",
    "log_level": "HUB_LOG_LEVEL",
    "log_format": "HUB_LOG_FORMAT",
    "log_buffer": "HUB_LOG_BUFFER",
    "metrics": "HUB_METRICS",
    "migrate": "HUB_MIGRATE",
    "metrics_token": "HUB_METRICS_TOKEN",
    "origin": "HUB_ORIGIN",
    "disable_after": "HUB_DISABLE_AFTER",
    "allow_targets": "HUB_ALLOW_TARGETS",
    "header_timeout": "HUB_HEADER_TIMEOUT",
    "body_timeout": "HUB_BODY_TIMEOUT",
    "max_connections": "HUB_MAX_CONNECTIONS",
    "trusted_callback_hosts": "HUB_TRUSTED_CALLBACK_HOSTS",
    "public_url": "HUB_PUBLIC_URL",
    "console_idle": "HUB_CONSOLE_IDLE",
}

_BOUNDS: dict[str, tuple[float, float]] = {
    "port": (0, 65535),
    "max_body_bytes": (1024, 64 * 1024 * 1024),
    "timestamp_tolerance": (1, 86_400),
    "delivery_timeout": (0.1, 300),
    "worker_concurrency": (1, 10_000),
    "worker_batch": (1, 10_000),
    "poll_interval": (0.01, 60),
    "lease_seconds": (1, 86_400),
    "drain_seconds": (0, 600),
    "commit_batch": (1, 100_000),
    "rejection_body_cap": (0, 16 * 1024 * 1024),
    "rejections_max": (1, 10_000_000),
    "disable_after": (60, 365 * 86_400),
    "header_timeout": (0.5, 300),
    "body_timeout": (0.5, 600),
    "max_connections": (10, 100_000),
    "log_buffer": (10, 1_000_000),
    "console_idle": (60, 7 * 86_400),
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "http_client": ("aiohttp", "httpx"),
    "log_level": ("debug", "info", "warning", "error"),
    "log_format": ("text", "json"),
    "metrics": ("on", "off"),
    "migrate": ("on", "off"),
}


def _cast(name: str, raw: Any, source: str) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if kind == "int":
            value: Any = int(raw)
        elif kind == "float":
            value = float(raw)
        elif kind == "Path":
            value = Path(raw)
        elif kind == "Secret | None":
            value = raw if isinstance(raw, Secret) else Secret(str(raw))
        else:
            value = str(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: expected {kind}, got {raw!r}") from None
    if name in _BOUNDS:
        low, high = _BOUNDS[name]
        if not low <= value <= high:
            raise ConfigError(f"{source}: {value} is outside {low:g}..{high:g}")
    if name == "public_url" and value:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ConfigError(f"{source}: {value!r} is not an http(s) URL such as "
                              "https://hub.example.com")  # fmt: skip
    if name in _CHOICES and value not in _CHOICES[name]:
        raise ConfigError(f"{source}: {value!r} is not one of {', '.join(_CHOICES[name])}")
    if name == "host" and not host_name(value):
        raise ConfigError(f"{source}: {value!r} is not an IP address or a host name")
    if name == "trusted_callback_hosts":
        wrong = [p for p in value.split(",") if p.strip() and not host_pattern(p.strip())]
        if wrong:
            raise ConfigError(f"{source}: {wrong[0].strip()!r} is not a host name or a "
                              "*.domain pattern (such as *.logic.azure.com)")  # fmt: skip
    return value


_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def host_name(value: str) -> bool:
    """An IP address (v4, or v6 with or without brackets) or an RFC 1123 host name; a name of
    digits and dots alone must be a valid IPv4 address (``999.1.1.1`` is neither)."""
    try:
        ipaddress.ip_address(value.strip("[]"))
        return True
    except ValueError:
        pass
    labels = value.rstrip(".").split(".")
    if not value or len(value) > 253 or all(label.isdigit() for label in labels):
        return False
    return all(_LABEL.match(label) for label in labels)


def host_pattern(value: str) -> bool:
    """A host name, or ``*.`` and a domain of at least two labels (``*.logic.azure.com``)."""
    if value.startswith("*."):
        domain = value[2:]
        return "." in domain and host_name(domain) and "*" not in domain
    return host_name(value)


def connector_secrets(env: Mapping[str, str]) -> dict[str, tuple[Secret, ...]]:
    """Collect `HUB_CONNECTOR_<NAME>_SECRET` variables.

    A value may hold several secrets separated by spaces, so that a sender can rotate keys:
    the hub accepts a signature made with any of them.
    """
    found: dict[str, tuple[Secret, ...]] = {}
    for key, value in env.items():
        match = _CONNECTOR_SECRET.match(key)
        if match and value.strip():
            found[match.group(1).lower()] = tuple(Secret(part) for part in value.split())
    return found


def load_settings(env: Mapping[str, str], flags: Mapping[str, Any] | None = None) -> Settings:
    """Build settings from flags (highest precedence), the environment, then defaults.

    Raises:
        ConfigError: a value does not cast or is out of bounds; the message names its source.
    """
    values: dict[str, Any] = {}
    for name, env_name in ENV_NAMES.items():
        if flags and flags.get(name) is not None:
            values[name] = _cast(name, flags[name], f"--{name.replace('_', '-')}")
        elif env.get(env_name, "") != "":
            values[name] = _cast(name, env[env_name], env_name)
    values["connector_secrets"] = connector_secrets(env)
    for pair in (flags or {}).get("connector_secret") or []:
        name, sep, value = str(pair).partition("=")
        if not sep or not name or not value.strip():
            raise ConfigError("--connector-secret: expected NAME=SECRET")
        values["connector_secrets"][name.lower()] = tuple(Secret(v) for v in value.split())
    return replace(Settings(), **values)
