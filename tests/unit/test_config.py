"""Settings: flags over environment over defaults, cast and bounded, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import Secret, load_settings
from hub.errors import ConfigError


def test_defaults() -> None:
    settings = load_settings({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.database_url == "sqlite:///data/hub.db"
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.admin_token is None
    assert settings.subscriptions.name == "subscriptions.yaml"


def test_environment_then_flags() -> None:
    env = {"HUB_PORT": "9001", "HUB_HOST": "0.0.0.0", "HUB_SUBSCRIPTIONS": "/etc/subs.yaml"}
    settings = load_settings(env, {"port": "9002"})
    assert settings.port == 9002
    assert settings.host == "0.0.0.0"
    assert settings.subscriptions == Path("/etc/subs.yaml")


def test_connector_secrets_allow_several_for_rotation() -> None:
    env = {"HUB_CONNECTOR_STANDARD_SECRET": "whsec_a whsec_b", "HUB_CONNECTOR_SHOP_IFY_SECRET": "x"}
    secrets = load_settings(env).connector_secrets
    assert secrets["standard"] == (Secret("whsec_a"), Secret("whsec_b"))
    assert secrets["shop_ify"] == (Secret("x"),)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HUB_PORT": "eighty"}, "HUB_PORT: expected int"),
        ({"HUB_PORT": "70000"}, "HUB_PORT: 70000 is outside"),
        ({"HUB_MAX_BODY_BYTES": "10"}, "HUB_MAX_BODY_BYTES"),
        ({"HUB_HTTP_CLIENT": "curl"}, "not one of aiohttp, httpx"),
        ({"HUB_DELIVERY_TIMEOUT": "-1"}, "HUB_DELIVERY_TIMEOUT"),
        ({"HUB_HOST": "999.1.1.1"}, "HUB_HOST: '999.1.1.1' is not an IP address or a host"),
        ({"HUB_HOST": "bad host"}, "HUB_HOST"),
        ({"HUB_TRUSTED_CALLBACK_HOSTS": "***"}, "HUB_TRUSTED_CALLBACK_HOSTS: '\\*\\*\\*'"),
        ({"HUB_TRUSTED_CALLBACK_HOSTS": "hooks.zapier.com,*.com"}, "'\\*.com' is not"),
        ({"HUB_TRUSTED_CALLBACK_HOSTS": "https://x.example.com"}, "TRUSTED_CALLBACK_HOSTS"),
    ],
)
def test_bad_values_fail_fast_naming_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env)


def test_secrets_never_show_in_repr() -> None:
    settings = load_settings(
        {"HUB_ADMIN_TOKEN": "tok-123456", "HUB_CONNECTOR_STANDARD_SECRET": "whsec_zzz"}
    )
    shown = repr(settings) + str(settings)
    assert "tok-123456" not in shown
    assert "whsec_zzz" not in shown
    assert settings.admin_token is not None
    assert settings.admin_token.reveal() == "tok-123456"


def test_connector_secret_flags_override_the_environment() -> None:
    env = {"HUB_CONNECTOR_STANDARD_SECRET": "whsec_env"}
    settings = load_settings(env, {"connector_secret": ["STANDARD=whsec_a whsec_b", "x=y"]})
    assert settings.connector_secrets["standard"] == (Secret("whsec_a"), Secret("whsec_b"))
    assert settings.connector_secrets["x"] == (Secret("y"),)
    with pytest.raises(ConfigError, match="NAME=SECRET"):
        load_settings({}, {"connector_secret": ["no-equals-sign"]})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"id": 18446744073709551616}', 18446744073709551616),  # 2**64: orjson would round
        (b'{"id": 123456789012345678901234567890}', 123456789012345678901234567890),
        (b'{"id": 9223372036854775808}', 9223372036854775808),
        (b'{"id": -9223372036854775809}', -9223372036854775809),  # 19 digits, below int64
        (b'{"a": [1, -9999999999999999999]}', -9999999999999999999),
        (b'{"id": -42}', -42),
    ],
)
def test_integers_of_any_size_parse_exactly(body: bytes, expected: int) -> None:
    from hub.jsontext import parse_json

    parsed = parse_json(body)
    value = parsed["id"] if "id" in parsed else parsed["a"][-1]
    assert value == expected
    assert isinstance(value, int)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "0.0.0.0", "::1", "[::1]", "localhost", "hub.example.com", "hub-1"]
)
def test_good_hosts_are_taken(host: str) -> None:
    assert load_settings({"HUB_HOST": host}).host == host


def test_trusted_hosts_take_names_and_wildcard_domains() -> None:
    value = "hooks.zapier.com, *.logic.azure.us,*.api.powerplatform.com"
    assert load_settings({"HUB_TRUSTED_CALLBACK_HOSTS": value}).trusted_callback_hosts == value
