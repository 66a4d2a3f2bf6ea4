"""Subscription matching (pure) and subscriptions.yaml validation."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.catalog import Catalog, type_matches
from hub.config import Secret
from hub.errors import ConfigError
from hub.outbound.subscriptions import Subscription, SubscriptionRegistry, matches
from hub.outbound.subscriptions_file import load_subscriptions

SECRET = "whsec_c3Vic2NyaWJlci1zZWNyZXQtZm9yLXRlc3RzLW9ubHk="


@pytest.mark.parametrize(
    ("pattern", "event_type", "expected"),
    [
        ("order.created", "order.created", True),
        ("order.created", "order.created.v2", False),
        ("order.*", "order.created", True),
        ("order.*", "order.shipped", True),
        ("order.*", "orders.created", False),
        ("order.*", "order", False),
        ("order.*", "purchase_order.confirmed", False),
        ("*", "anything.at_all", True),
        ("customer.created", "order.created", False),
    ],
)
def test_type_matches(pattern: str, event_type: str, expected: bool) -> None:
    assert type_matches(pattern, event_type) is expected


def sub(events: tuple[str, ...] = ("order.*",), company: str | None = None) -> Subscription:
    return Subscription("s", "http://x.test/h", events, (Secret(SECRET),), company)


@pytest.mark.parametrize(
    ("subscription", "event_type", "company", "expected"),
    [
        (sub(), "order.created", None, True),
        (sub(), "order.created", "USMF", True),
        (sub(company="USMF"), "order.created", "USMF", True),
        (sub(company="USMF"), "order.created", "DEMF", False),
        (sub(company="USMF"), "order.created", None, False),
        (sub(("customer.created", "order.shipped")), "order.shipped", None, True),
        (sub(("customer.created", "order.shipped")), "order.created", None, False),
    ],
)
def test_matches(subscription: Subscription, event_type: str, company: str | None,
                 expected: bool) -> None:  # fmt: skip
    assert matches(subscription, event_type, company) is expected


def test_registry_skips_disabled() -> None:
    registry = SubscriptionRegistry([sub()], disabled=["s"])
    assert registry.route("order.created", None) == []
    registry.set_active("s", True)
    assert [s.id for s in registry.route("order.created", None)] == ["s"]


def write(tmp_path: Path, doc: Any) -> Path:
    path = tmp_path / "subscriptions.yaml"
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
    return path


def entry(**overrides: Any) -> dict[str, Any]:
    base = {"id": "erp", "url": "https://erp.test/h", "events": ["order.*"], "secret": SECRET}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_loads_a_full_entry(tmp_path: Path, catalog: Catalog) -> None:
    doc = {"subscriptions": [entry(company="USMF", timeout=3,
                                   retry={"schedule": [0, 10], "jitter": 0.2},
                                   secret="env:ERP_SECRET")]}  # fmt: skip
    [loaded] = load_subscriptions(write(tmp_path, doc), {"ERP_SECRET": SECRET}, catalog)
    assert loaded.company == "USMF"
    assert loaded.timeout == 3.0
    assert loaded.retry.schedule == (0.0, 10.0)
    assert loaded.secrets == (Secret(SECRET),)
    assert SECRET not in repr(loaded)


def test_content_mode_is_read_or_follows_the_callback_host(tmp_path: Path,
                                                            catalog: Catalog) -> None:  # fmt: skip
    flow = "https://prod-27.westeurope.logic.azure.com/workflows/abc"
    doc = {"subscriptions": [entry(content_mode="json"), entry(id="flow", url=flow),
                             entry(id="plain"), entry(id="kept", url=flow,
                                                      content_mode="cloudevents")]}  # fmt: skip
    loaded = load_subscriptions(write(tmp_path, doc), {}, catalog)
    assert [s.content_mode for s in loaded] == ["json", "json", "cloudevents", "cloudevents"]


def test_a_missing_file_means_no_subscriptions(tmp_path: Path, catalog: Catalog) -> None:
    assert load_subscriptions(tmp_path / "absent.yaml", {}, catalog) == []


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"subscriptions": {"a": 1}}, "'subscriptions' list"),
        ({"subscriptions": ["nope"]}, "entry #1: must be a mapping"),
        ({"subscriptions": [entry(id="bad id!")]}, "subscription 'bad id!': id must be"),
        ({"subscriptions": [entry(id=7)]}, "entry #1: id must be"),
        ({"subscriptions": [entry(url="ftp://x")]}, "'erp': url: an absolute http(s) URL"),
        ({"subscriptions": [entry(events=[])]}, "'erp': events must list"),
        ({"subscriptions": [entry(events=["order.teleported"])]}, "not in the catalog"),
        ({"subscriptions": [entry(events=["Order!"])]}, "is not an event type or pattern"),
        ({"subscriptions": [entry(secret=None)]}, "secret is required"),
        ({"subscriptions": [entry(secret="env:NOPE")]}, "NOPE, which is not set"),
        ({"subscriptions": [entry(secret="whsec_***")]}, "not a valid whsec_ key"),
        ({"subscriptions": [entry(timeout=600)]}, "timeout must be"),
        ({"subscriptions": [entry(retry={"schedule": []})]}, "retry.schedule must list"),
        ({"subscriptions": [entry(retry={"schedule": [0, -1]})]}, "delays must be numbers"),
        ({"subscriptions": [entry(retry={"jitter": 2})]}, "retry.jitter must be"),
        ({"subscriptions": [entry(retry={"tries": 2})]}, "retry takes only"),
        ({"subscriptions": [entry(colour="red")]}, "unknown key(s): colour"),
        ({"subscriptions": [entry(description=["x"])]}, "description must be text of 1-200"),
        ({"subscriptions": [entry(content_mode="xml")]}, "content_mode: one of cloudevents, json"),
        ({"subscriptions": [entry(), entry()]}, "subscription 'erp': id is repeated"),
    ],
)
def test_errors_name_the_file_and_the_entry(
    tmp_path: Path, catalog: Catalog, doc: Any, message: str
) -> None:
    path = write(tmp_path, doc)
    with pytest.raises(ConfigError) as caught:
        load_subscriptions(path, {}, catalog)
    assert str(path) in caught.value.detail
    assert message in caught.value.detail


def test_every_problem_in_the_file_is_reported_at_once_with_its_line(
    tmp_path: Path, catalog: Catalog
) -> None:
    path = tmp_path / "subscriptions.yaml"
    path.write_text(
        "subscriptions:\n"
        "  - id: erp\n"  # line 2: two problems in one entry
        "    url: ftp://erp.test/h\n"
        "    events: [order.teleported]\n"
        f"    secret: {SECRET}\n"
        "  - id: fine\n"
        "    url: https://ok.test/h\n"
        "    events: ['order.*']\n"
        f"    secret: {SECRET}\n"
        "  - id: wms\n"  # line 10
        "    url: https://wms.test/h\n"
        "    events: ['order.*']\n"
        "    secret: env:WMS_SECRET\n"
        "    timeout: 900\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_subscriptions(path, {}, catalog)
    lines = caught.value.detail.splitlines()
    assert lines == [
        f"{path}:2: subscription 'erp': url: an absolute http(s) URL",
        f"{path}:2: subscription 'erp': event type 'order.teleported' is not in the catalog",
        f"{path}:10: subscription 'wms': secret refers to environment variable WMS_SECRET, "
        "which is not set",
        f"{path}:10: subscription 'wms': timeout must be a number of seconds in 0.5..60",
    ]


def test_a_yaml_error_names_the_line_and_column(tmp_path: Path, catalog: Catalog) -> None:
    path = write(tmp_path, "subscriptions:\n  - id: erp\n    url: x\n   events: [a]\n")
    with pytest.raises(ConfigError) as caught:
        load_subscriptions(path, {}, catalog)
    assert caught.value.detail.startswith(f"{path}:4:4: ")
    assert "expected <block end>" in caught.value.detail


def test_an_unset_secret_variable_is_a_warning_for_a_check(
    tmp_path: Path, catalog: Catalog
) -> None:
    path = write(tmp_path, {"subscriptions": [entry(secret="env:LATER")]})
    warnings: list[str] = []
    [loaded] = load_subscriptions(path, {}, catalog, warnings)
    assert loaded.id == "erp"
    assert warnings == [f"{path}:2: subscription 'erp': secret refers to environment variable "
                        "LATER, which is not set"]  # fmt: skip


def test_a_bad_literal_secret_is_not_echoed(tmp_path: Path, catalog: Catalog) -> None:
    leaked = "whsec_thisisnotbase64!!!"
    with pytest.raises(ConfigError) as caught:
        load_subscriptions(write(tmp_path, {"subscriptions": [entry(secret=leaked)]}), {}, catalog)
    assert leaked not in caught.value.detail


def test_registry_routes_stay_right_across_state_changes() -> None:
    usmf = replace(sub(company="USMF"), id="usmf")
    registry = SubscriptionRegistry([sub(), usmf])
    assert [s.id for s in registry.route("order.created", "USMF")] == ["s", "usmf"]
    registry.set_active("s", False)
    assert [s.id for s in registry.route("order.created", "USMF")] == ["usmf"]
    assert registry.route("order.created", "DEMF") == []
    registry.set_active("s", True)
    assert [s.id for s in registry.route("order.created", "DEMF")] == ["s"]


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"rate_limit": 5, "max_in_flight": 2, "ordered": True}, None),
        ({"batch": {"size": 10, "max_wait": 2}}, None),
        ({"rate_limit": 0}, "rate_limit"),
        ({"max_in_flight": 0}, "max_in_flight"),
        ({"ordered": "yes"}, "ordered"),
        ({"batch": {"size": 1}}, "batch"),
        ({"ordered": True, "batch": {"size": 5}}, "cannot also be ordered"),
    ],
)
def test_dispatch_options_in_the_file(
    tmp_path: Path, catalog: Catalog, extra: dict[str, Any], problem: str | None
) -> None:
    entry = {"id": "erp", "url": "https://erp.test/h", "events": ["order.*"],
             "secret": SECRET, **extra}  # fmt: skip
    path = tmp_path / "subscriptions.yaml"
    path.write_text(json.dumps({"subscriptions": [entry]}))
    if problem is None:
        [sub] = load_subscriptions(path, {}, catalog)
        assert (sub.rate_limit, sub.ordered) == (
            extra.get("rate_limit"),
            extra.get("ordered", False),
        )
        assert (sub.batch.size if sub.batch else None) == extra.get("batch", {}).get("size")
    else:
        with pytest.raises(ConfigError, match=problem):
            load_subscriptions(path, {}, catalog)


def test_signing_keys_follow_the_rotation_even_though_they_are_decoded_once() -> None:
    old, new = "whsec_" + "b2xkLWtleS1vbGQta2V5LW9sZA==", "whsec_" + "bmV3LWtleS1uZXcta2V5LW5ldw=="
    sub = Subscription(
        "s", "https://example.com/h", ("*",), (Secret(new), Secret(old)),
        secret_expires_at=(None, 1000.0),
    )  # fmt: skip
    assert sub.signing_keys(999.0) == [b"new-key-new-key-new", b"old-key-old-key-old"]
    assert sub.signing_keys(1001.0) == [b"new-key-new-key-new"]
    rotated = replace(sub, secrets=(Secret(old),), secret_expires_at=())
    assert rotated.signing_keys(1001.0) == [b"old-key-old-key-old"]  # not the cached keys
