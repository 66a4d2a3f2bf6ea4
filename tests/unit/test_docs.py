"""The README documents every setting, and every setting has its `hub serve` flag."""

from __future__ import annotations

from hub.cli.main import parser
from hub.config import ENV_NAMES, PROJECT_ROOT
from hub.store import open_store
from hub.store.sqlite import SqliteStore

README = (PROJECT_ROOT / "README.md").read_text()


def test_every_variable_is_documented_with_its_flag() -> None:
    serve_help = parser().parse_args(["serve"]).__dict__
    for name, env_name in ENV_NAMES.items():
        flag = "--" + name.replace("_", "-")
        assert f"| `{env_name}` | `{flag}` |" in README, env_name
        assert name in serve_help, flag
    assert "| `HUB_CONNECTOR_<NAME>_SECRET` | `--connector-secret NAME=SECRET`" in README


def test_store_settings_reach_the_store() -> None:
    store = open_store("sqlite:///tmp/unused.db?busy_timeout=250", commit_batch=7)
    assert isinstance(store, SqliteStore)
    assert (store._busy_timeout_ms, store._commit_batch) == (250, 7)
