"""The `hub` command, run as a real process."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hub.cli.main import main
from tests.helpers import (
    ADMIN_TOKEN,
    SUBSCRIBER_SECRET,
    Receiver,
    Reply,
    hub_settings,
    order_data,
    running_hub,
    subscriptions_yaml,
    verify_outbound,
)


def hub_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin", **(env or {})},
    )  # fmt: skip


def test_check_accepts_the_repository_configuration() -> None:
    done = hub_cli("check", env={"HUB_DEMO_SUBSCRIPTION_SECRET": SUBSCRIBER_SECRET})
    assert done.returncode == 0, done.stderr
    assert "configuration OK" in done.stdout
    assert "warning: connector bigcommerce: no secret (env:BIGCOMMERCE_CLIENT_SECRET not set)" in (
        done.stdout
    )


def test_check_in_a_plain_shell_warns_of_unset_secret_variables() -> None:
    # No `make`, so no demo secrets: the repository's files are still valid, and each unset
    # env: variable is named as a warning rather than failing the check.
    done = hub_cli("check")
    assert done.returncode == 0, done.stderr
    assert (
        "secret refers to environment variable HUB_DEMO_SUBSCRIPTION_SECRET, which is not "
        "set" in done.stdout
    )
    assert "configuration OK" in done.stdout


def test_check_names_every_bad_entry_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "subs.yaml"
    bad.write_text(
        "subscriptions:\n"
        "  - {id: erp, url: 'http://0177.0.0.1/', events: ['order.*'], secret: env:S}\n"
        "  - {id: wms, url: 'https://wms.test/', events: [order.nope], secret: env:S}\n"
    )
    done = hub_cli("check", "--subscriptions", str(bad), env={"S": SUBSCRIBER_SECRET})
    assert done.returncode == 2
    assert "configuration errors (2):" in done.stderr
    assert f"{bad}:2: subscription 'erp': url: '0177.0.0.1' is an IPv4 address" in done.stderr
    assert f"{bad}:3: subscription 'wms': event type 'order.nope'" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_environment_values_stop_start_up() -> None:
    done = hub_cli("serve", env={"HUB_PORT": "eighty"})
    assert done.returncode == 2
    assert "HUB_PORT: expected int" in done.stderr


def test_event_types_prints_the_catalog() -> None:
    done = hub_cli("event-types", "--json")
    catalog = {t["type"]: t for t in json.loads(done.stdout)}
    assert {"order.created", "order.shipped", "order.invoiced", "customer.created"} <= set(catalog)
    assert catalog["order.shipped"]["example"]["tracking_number"]


def test_sign_matches_the_official_vector() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    done = hub_cli("sign", "--id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "--timestamp", "1614265330",
                   "--secret", secret, '{"test": 2432232314}')  # fmt: skip
    assert done.stdout.strip() == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


async def run_cli(url: str, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", *args, "--url", url,
        env={"PATH": "/usr/bin", "HUB_ADMIN_TOKEN": ADMIN_TOKEN},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def test_deliveries_and_replay_against_a_running_hub(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(*[Reply(500)] * 3)
        (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([
            {"id": "erp", "url": receiver.url(), "events": ["order.*"],
             "secret": SUBSCRIBER_SECRET, "retry": {"schedule": [0]}}]))  # fmt: skip
        async with running_hub(hub_settings(tmp_path)) as hub:
            for n in range(3):
                await hub.send("order.created", order_data(f"C-{n}"), f"m{n}")
            await hub.hub.worker.wait_recorded(3)
            url = hub.served.url
            listed = await run_cli(url, "deliveries", "--status", "failed")
            hub.hub.worker.paused = True
            one_id = listed[1].splitlines()[1].split()[0]
            single = await run_cli(url, "replay", one_id)
            bulk = await run_cli(url, "replay", "--status", "failed", "--subscription", "erp")
            hub.hub.worker.paused = False
            hub.hub.worker.notify()
            await hub.hub.worker.wait_recorded(6)
            after = await run_cli(url, "deliveries", "--status", "failed")
            wrong = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "hub", "deliveries", "--url", url,
                env={"PATH": "/usr/bin", "HUB_ADMIN_TOKEN": "nope"},
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            _, wrong_err = await wrong.communicate()
            trail = (await hub.get("/api/audit"))["items"]
    assert listed[0] == 0
    # The trail tells the CLI's actions from the API's.
    assert [(e["action"], e["via"]) for e in reversed(trail)] == [
        ("replay_delivery", "cli"), ("replay_deliveries_dry_run", "cli"),
        ("replay_deliveries", "cli"),
    ]  # fmt: skip
    assert listed[1].count(" failed ") == 3
    assert single[1].startswith(f"queued {one_id} again")
    assert bulk[0] == 0
    assert "queued 2 deliveries again" in bulk[1]
    assert "[##############################] 2/2" in bulk[2]  # the progress bar
    assert "no deliveries match" in after[1]
    assert wrong.returncode != 0
    assert b"401" in wrong_err


async def test_the_deliveries_table_shows_what_an_admin_needs(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(*[Reply(500, b"down")] * 3)
        (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([
            {"id": "erp", "url": receiver.url(), "events": ["order.*"], "description": "ERP",
             "secret": SUBSCRIBER_SECRET, "retry": {"schedule": [0, 300]}}]))  # fmt: skip
        async with running_hub(hub_settings(tmp_path)) as hub:
            for n in range(3):
                await hub.send("order.created", order_data(f"T-{n}"), f"t{n}")
            await hub.hub.worker.wait_recorded(3)
            code, out, err = await run_cli(hub.served.url, "deliveries", "--limit", "2",
                                           "--since", "1h")  # fmt: skip
            code_subject, by_subject, _ = await run_cli(
                hub.served.url, "deliveries", "--subject", "order/T-0"
            )
    assert code == 0, err
    header, *rows, blank, hint = out.splitlines()
    assert header.split() == ["ID", "STATUS", "SUBSCRIPTION", "EVENT", "TYPE", "SUBJECT",
                              "ATTEMPTS", "LAST", "NEXT", "ATTEMPT", "CREATED"]  # fmt: skip
    assert len(rows) == 2 and blank == ""
    assert re.fullmatch(r"1 more; --limit or --cursor dlv_\w+", hint), hint
    cells = rows[0].split()
    assert cells[1:5] == ["pending", "erp", "(ERP)", "order.created"]
    assert cells[5].startswith("order/T-") and cells[6:8] == ["1", "500"]
    # Each time to the second, and how far off: the retry in about 5 minutes, made just now.
    assert re.search(r"\d\d:\d\d:\d\dZ \(in [45]m\) +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ "
                     r"\((now|\ds ago)\)$", rows[0]), rows[0]  # fmt: skip
    assert code_subject == 0 and len(by_subject.splitlines()) == 2  # the header and one row


async def test_a_bulk_replay_asks_before_touching_more_than_ten(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(*[Reply(500)] * 12)
        (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([
            {"id": "erp", "url": receiver.url(), "events": ["order.*"],
             "secret": SUBSCRIBER_SECRET, "retry": {"schedule": [0]}}]))  # fmt: skip
        async with running_hub(hub_settings(tmp_path)) as hub:
            for n in range(12):
                await hub.send("order.created", order_data(f"B-{n}"), f"b{n}")
            await hub.hub.worker.wait_recorded(12)
            hub.hub.worker.paused = True
            refused = await run_cli(hub.served.url, "replay", "--status", "failed")
            dry = await run_cli(hub.served.url, "replay", "--status", "failed", "--dry-run")
            still = (await hub.get("/api/deliveries", status="failed", limit=50))["items"]
            done = await run_cli(hub.served.url, "replay", "--status", "failed", "--yes")
    assert refused[0] == 1
    assert refused[2].strip() == "hub: 12 deliveries match; add --yes to replay them"
    assert dry[0] == 0, dry[2]
    first, header, *rows, more = dry[1].splitlines()
    assert first == "dry run: would replay 12 deliveries; nothing changed"
    assert header.startswith("ID") and len(rows) == 10 and more == "... and 2 more"
    assert len(still) == 12  # nothing was queued without the confirmation, or by the dry run
    assert done[0] == 0 and "queued 12 deliveries again" in done[1]


async def test_retry_makes_waiting_deliveries_due_now(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(Reply(503), Reply(503))
        (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([
            {"id": "erp", "url": receiver.url(), "events": ["order.*"],
             "secret": SUBSCRIBER_SECRET, "retry": {"schedule": [0, 3600]}}]))  # fmt: skip
        async with running_hub(hub_settings(tmp_path)) as hub:
            await hub.send("order.created", order_data("R-1"), "r1")
            await hub.send("order.created", order_data("R-2"), "r2")
            await hub.hub.worker.wait_recorded(2)
            code, out, err = await run_cli(hub.served.url, "retry", "--subscription", "erp")
            await hub.hub.worker.wait_recorded(4)  # sent again, an hour early
    assert code == 0, err
    assert "retried 2 now" in out


async def test_mistakes_are_one_line_with_a_documented_exit_code(tmp_path: Path) -> None:
    async with running_hub(hub_settings(tmp_path)) as hub:
        missing = await run_cli(hub.served.url, "replay", "dlv_00000000000000000000000000000000")
        unknown = await run_cli(hub.served.url, "deliveries", "--subscription", "nope")
    closed = listening_port()
    down = await run_cli(f"http://127.0.0.1:{closed}", "deliveries")
    bad_url = await run_cli("ftp://hub.example", "deliveries")
    for (code, out, err), expected in ((missing, 1), (unknown, 1), (down, 3), (bad_url, 2)):
        assert code == expected, (code, out, err)
        assert len(err.strip().splitlines()) == 1 and err.startswith("hub: "), err
        assert "Traceback" not in err
    assert "404" in missing[2] and "no delivery" in missing[2]
    assert "cannot reach the hub" in down[2]


def test_a_closed_pipe_is_one_line_not_a_traceback() -> None:
    done = subprocess.run(
        ["bash", "-c", f"{sys.executable} -m hub event-types --json | head -c 10 >/dev/null; "
                       "echo \"exit=${PIPESTATUS[0]}\" >&2"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "Traceback" not in done.stderr
    assert "hub: the output was closed before it was all written" in done.stderr
    assert "exit=141" in done.stderr


def listening_port() -> int:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_port_in_use_is_one_clear_line() -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = hub_cli("serve", "--port", str(port), "--database-url", "memory://",
                       env={"HUB_ADMIN_TOKEN": ADMIN_TOKEN,
                            "HUB_DEMO_SUBSCRIPTION_SECRET": SUBSCRIBER_SECRET})  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"hub: configuration error: HUB_PORT: 127.0.0.1:{port} is already in use "
        "(another hub, or another program?)"
    )
    assert "serving on" not in done.stdout


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgres://hub:s3cret-pw@db/hub", "unsupported scheme 'postgres'"),
        ("sqlite://data/hub.db", "three slashes: sqlite:///data/hub.db (relative)"),
        ("sqlite:///no/such/dir/hub.db", "the directory 'no/such/dir' of"),
    ],
)
def test_a_bad_database_url_is_one_line_for_check_and_serve(
    tmp_path: Path, url: str, message: str
) -> None:
    for command in ("check", "serve"):
        done = subprocess.run(
            [sys.executable, "-m", "hub", command, "--database-url", url],
            capture_output=True, text=True, timeout=60, cwd=tmp_path,
            env={"PATH": "/usr/bin", "HUB_ADMIN_TOKEN": ADMIN_TOKEN,
                 "HUB_DEMO_SUBSCRIPTION_SECRET": SUBSCRIBER_SECRET},
        )  # fmt: skip
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert message in done.stderr
        assert "s3cret-pw" not in done.stdout + done.stderr  # a password never shows
    assert list(tmp_path.iterdir()) == []  # no stray ./hub.db, no directory made


async def test_a_database_held_by_another_hub_is_a_line_not_a_traceback(tmp_path: Path) -> None:
    async with running_hub(hub_settings(tmp_path)):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hub", "serve", "--port", "0",
            "--database-url", f"sqlite:///{tmp_path}/hub.db",
            env={"PATH": "/usr/bin", "HUB_ADMIN_TOKEN": ADMIN_TOKEN,
                 "HUB_DEMO_SUBSCRIPTION_SECRET": SUBSCRIBER_SECRET},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(process.communicate(), 60)
    text = out.decode()
    assert process.returncode == 2, text
    assert "Traceback" not in text
    assert "hub: configuration error: " in text and "another hub process" in text
    assert "serving on" not in text


def run_check(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`hub check` on a directory of its own, with an empty subscriptions file there."""
    subscriptions = tmp_path / "subscriptions.yaml"
    if not subscriptions.exists():
        subscriptions.write_text(subscriptions_yaml([]))
    base = {
        "HUB_SUBSCRIPTIONS": str(subscriptions),
        "HUB_DATABASE_URL": f"sqlite:///{tmp_path}/h.db",
    }
    return hub_cli("check", *args, env={**base, **env})


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "configuration OK" not in done.stdout
    [line] = done.stderr.splitlines()
    return line


def test_a_named_subscriptions_file_that_is_missing_stops_check_and_serve(tmp_path: Path) -> None:
    (tmp_path / "subscriptions.yml").write_text(subscriptions_yaml([]))
    missing = tmp_path / "subscriptions.yaml"
    for command in ("check", "serve"):
        done = hub_cli(command, env={"HUB_SUBSCRIPTIONS": str(missing)})
        line = one_line(done)
        assert line.startswith(f"hub: configuration error: HUB_SUBSCRIPTIONS: {missing} does not")
        assert line.endswith(f"did you mean {tmp_path / 'subscriptions.yml'}?")


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        ((), {"HUB_ALLOW_TARGETS": "garbage"}, "HUB_ALLOW_TARGETS: 'garbage' is not a network"),
        (("--allow-targets", "10.0.0.0/33"), {}, "HUB_ALLOW_TARGETS: '10.0.0.0/33'"),
        ((), {"HUB_HOST": "999.1.1.1"}, "HUB_HOST: '999.1.1.1'"),
        ((), {"HUB_TRUSTED_CALLBACK_HOSTS": "***"}, "HUB_TRUSTED_CALLBACK_HOSTS: '***'"),
        ((), {"HUB_CONNECTOR_SHOPFY_SECRET": "x"},
         "HUB_CONNECTOR_SHOPFY_SECRET: there is no connector 'shopfy'"),
    ],
)  # fmt: skip
def test_a_bad_setting_is_one_line_from_check_and_serve_alike(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], named: str
) -> None:
    checked = one_line(run_check(tmp_path, *args, **env))
    assert named in checked
    served = hub_cli("serve", *args, env={
        "HUB_SUBSCRIPTIONS": str(tmp_path / "subscriptions.yaml"),
        "HUB_DATABASE_URL": f"sqlite:///{tmp_path}/h.db", **env})  # fmt: skip
    assert one_line(served) == checked


def test_a_host_this_machine_does_not_have_is_named_as_the_host(tmp_path: Path) -> None:
    (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([]))
    done = hub_cli("serve", env={
        "HUB_HOST": "192.0.2.1", "HUB_SUBSCRIPTIONS": str(tmp_path / "subscriptions.yaml"),
        "HUB_DATABASE_URL": f"sqlite:///{tmp_path}/h.db"})  # fmt: skip
    assert one_line(done).startswith("hub: configuration error: HUB_HOST: 192.0.2.1:8000 cannot")


def test_listen_refuses_a_secret_that_is_not_a_whsec_key() -> None:
    done = hub_cli("listen", "--port", "0", "--secret", "plain-secret-value")
    line = one_line(done)
    assert line.endswith("--secret: not a whsec_ key (the subscription's signing secret)")
    assert "plain-secret-value" not in done.stderr


async def test_admin_token_rotate_replaces_a_lost_token(tmp_path: Path, capsys: Any) -> None:
    settings = hub_settings(tmp_path, admin_token=None)
    rotate = ["admin-token", "rotate", "--database-url", settings.database_url]
    async with running_hub(settings):  # the first start makes a token and shows it once
        lost = re.findall(r"HUB_ADMIN_TOKEN=(\S+)", capsys.readouterr().out)[0]
        assert await asyncio.to_thread(main, rotate) == 2  # the running hub holds the database
        refused = capsys.readouterr().err.strip()
        assert refused.endswith("another hub process is using this database; stop the hub, "
                                "then rotate")  # fmt: skip
    assert await asyncio.to_thread(main, rotate) == 0
    shown = capsys.readouterr().out
    [token] = re.findall(r"HUB_ADMIN_TOKEN=(\S+)", shown)
    async with running_hub(settings) as hub:
        before = await hub.client.get("/api/events", headers={"authorization": f"Bearer {lost}"})
        after = await hub.client.get("/api/events", headers={"authorization": f"Bearer {token}"})
    assert (before.status_code, after.status_code) == (401, 200)
    assert token != lost and lost not in shown


async def test_issues_and_the_audit_trail_from_the_command_line(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(*[Reply(503)] * 2)
        (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([
            {"id": "erp", "url": receiver.url(), "events": ["order.*"],
             "secret": SUBSCRIBER_SECRET, "retry": {"schedule": [0]}}]))  # fmt: skip
        async with running_hub(hub_settings(tmp_path)) as hub:
            await hub.send("order.created", order_data("A-1"), "a1")
            await hub.send("order.created", order_data("A-2"), "a2")
            await hub.hub.worker.wait_recorded(2)  # one attempt each, both 503
            url = hub.served.url
            listed = await run_cli(url, "issues", "list", "--status", "open")
            [issue] = json.loads((await run_cli(url, "issues", "list", "--json"))[1])["items"]
            acked = await run_cli(url, "issues", "acknowledge", issue["id"])
            audit = await run_cli(url, "audit", "--action", "patch_issue")
            bad = await run_cli(url, "issues", "resolve", "iss_nope")
    assert listed[0] == 0, listed[2]
    header, row = listed[1].splitlines()
    assert header.split()[:4] == ["ID", "STATUS", "COUNT", "TITLE"]
    assert row.split()[:3] == [issue["id"], "open", "2"] and "erp: 503" in row
    assert acked[1].strip() == f"{issue['id']} acknowledged: erp: 503 from the receiver"
    header, entry = audit[1].splitlines()
    assert header.split() == ["AT", "ACTOR", "ACTION", "STATUS", "VIA", "TARGET"]
    assert entry.split()[2:6] == ["admin", "patch_issue", "200", "cli"]
    assert entry.endswith(f"id={issue['id']}")
    assert bad[0] == 1 and "404" in bad[2] and len(bad[2].splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "usage"),
    [(("replay", "--colour"), "usage: hub replay"),
     (("issues", "list", "--nope"), "usage: hub issues list"),
     (("objects", "show", "order", "1", "--x"), "usage: hub objects show")],
)  # fmt: skip
def test_an_unknown_flag_prints_the_usage_of_its_own_command(
    args: tuple[str, ...], usage: str
) -> None:
    done = hub_cli(*args)
    assert done.returncode == 2
    assert done.stderr.startswith(usage), done.stderr
    assert f"error: unrecognized arguments: {' '.join(args[-1:])}" in done.stderr


async def test_subscriptions_from_the_command_line(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        receiver.respond(Reply(503))
        (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([
            {"id": "erp", "url": receiver.url("erp/key=abc"), "events": ["order.*"],
             "secret": SUBSCRIBER_SECRET}]))  # fmt: skip
        async with running_hub(hub_settings(tmp_path)) as hub:
            made = await hub.post("/api/subscriptions", {
                "url": receiver.url("flow"), "events": ["order.shipped"],
                "skip_validation": True, "description": "a flow"})  # fmt: skip
            flow = made.json()["id"]
            await hub.send("order.created", order_data("S-1"), "s1")
            await hub.hub.worker.wait_recorded(1)  # erp: 503, retrying
            url = hub.served.url
            listed = await run_cli(url, "subscriptions", "list")
            paused = await run_cli(url, "subscriptions", "pause", flow)
            resumed = await run_cli(url, "subscriptions", "resume", flow)
            rotated = await run_cli(url, "subscriptions", "rotate-secret", flow, "--grace", "60")
            file_one = await run_cli(url, "subscriptions", "pause", "erp")
            shown = (await hub.get(f"/api/subscriptions/{flow}"))["secrets"]
    assert listed[0] == 0, listed[2]
    header, *rows = listed[1].splitlines()
    assert header.split()[:4] == ["ID", "STATE", "ORIGIN", "EVENTS"]
    by_id = {r.split()[0]: r.split() for r in rows}
    assert by_id["erp"][1:4] == ["active", "file", "order.*"]
    assert by_id["erp"][4:7] == ["-", "1", "1"]  # no success yet, 1 failure, 1 pending
    assert by_id[flow][1:4] == ["active", "api", "order.shipped"]
    assert "key=abc" not in listed[1]  # subscriptions by id, never by URL
    assert paused[1].strip() == f"{flow} paused" and resumed[1].strip() == f"{flow} active"
    assert rotated[0] == 0 and rotated[1].splitlines()[2].strip().startswith("whsec_")
    assert shown == 2  # the new secret, and the old one for its grace period
    assert file_one[0] == 1 and len(file_one[2].splitlines()) == 1  # read-only: one line


async def test_a_test_event_is_signed_sent_once_and_never_stored(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([
            {"id": "erp", "url": receiver.url("erp"), "events": ["order.*"],
             "secret": SUBSCRIBER_SECRET}]))  # fmt: skip
        async with running_hub(hub_settings(tmp_path)) as hub:
            url = hub.served.url
            sent = await run_cli(url, "subscriptions", "test", "erp", "--type", "order.shipped")
            got = await receiver.next()
            receiver.respond(Reply(503, b"down for maintenance"))
            failed = await run_cli(url, "subscriptions", "test", "erp")
            await receiver.next()
            wrong = await hub.post("/api/subscriptions/erp/test", {"type": "customer.created"})
            unknown = await hub.post("/api/subscriptions/nope/test", {})
            events = (await hub.get("/api/events"))["items"]
            deliveries = (await hub.get("/api/deliveries"))["items"]
            audit = (await hub.get("/api/audit", action="send_test_event"))["items"]
    assert sent[0] == 0, sent[2]
    assert sent[1].startswith("delivered: a test order.shipped (evt_") and "answered 200" in sent[1]
    message = verify_outbound(got)  # signed with the subscription's secret
    assert message["type"] == "order.shipped" and message["source"] == "/hub/test"
    assert message["data"]["order_id"]
    assert failed[0] == 1 and failed[1].startswith("failed: a test order.")
    assert "answered 503" in failed[1] and "down for maintenance" in failed[1]
    assert wrong.status_code == 422 and "not a type this subscription takes" in wrong.text
    assert unknown.status_code == 404
    assert events == [] and deliveries == []  # nothing stored, nothing to retry
    assert [(e["status"], e["target"].get("event_type")) for e in audit] == [
        (404, None),
        (422, None),
        (200, "order.cancelled"),
        (200, "order.shipped"),
    ]  # newest first
