"""`hub objects list|show` and `hub state rebuild` against a running hub, as an admin types
them: a table, a readable timeline, a rebuild report, and one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_cli import hub_cli, run_cli
from tests.helpers import hub_settings, running_hub, subscriptions_yaml
from tests.state.test_journeys import RULES, order_body


async def test_objects_and_rebuild_from_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([]))
    async with running_hub(hub_settings(tmp_path, rules=RULES)) as hub:
        shipped = order_body("1042", tracking_number="1Z999", carrier="UPS",
                             references={"shopify": {"order_id": "1042",
                                                     "order_number": "#1042"}})  # fmt: skip
        await hub.send("order.created", order_body("1042", references=shipped["references"]), "o1")
        await hub.send("order.shipped", shipped, "o2")
        await hub.send("order.created", order_body("1043", price="0"), "o3")
        # Told last, happened first: the timeline shows it first.
        early = {"timestamp": "2026-11-20T08:00:00Z"}
        invoice = {"invoice_id": "INV-1042", "order_id": "1042"}
        await hub.send("order.invoiced", invoice, "o4", extra=early)
        await hub.hub.tracker.caught_up()
        url = hub.served.url

        code, out, _ = await run_cli(url, "objects", "list", "--type", "order")
        assert code == 0
        header, *rows = out.splitlines()
        assert header.split()[:3] == ["TYPE", "KEY", "STATUS"]
        assert [r.split()[1:3] for r in rows] == [["1043", "on_hold"], ["1042", "shipped"]]
        code, out, _ = await run_cli(url, "objects", "list", "--status", "on_hold", "--json")
        assert [o["key"] for o in json.loads(out)["items"]] == ["1043"]
        code, out, _ = await run_cli(url, "objects", "list", "--q", "1Z999")
        assert code == 0 and len(out.splitlines()) == 2

        code, out, _ = await run_cli(url, "objects", "show", "order", "#1042")
        assert code == 0, out
        assert out.splitlines()[0].startswith("order 1042 (obj_")
        assert "shipped (fulfillment_in_process / packed)" in out
        sent = out[out.index("references sent") : out.index("references implied")]
        assert sent.splitlines()[1:] == ["  shopify      order_id 1042, order_number #1042"]
        # rules.yaml links D365's customer_ref and ShipStation's ids to Shopify's.
        implied = out[out.index("references implied") : out.index("facts")].splitlines()[1:]
        assert implied == ["  d365         customer_ref #1042",
                           "  shipstation  order_key 1042, order_number #1042"]  # fmt: skip
        assert "deadline  order.overdue due" in out
        timeline = out[out.index("timeline") : out.index("logbook")].splitlines()[1:]
        assert [line.split()[3] for line in timeline] == [
            "order.invoiced", "order.created", "order.shipped"]  # fmt: skip
        assert "order.shipped            moved       company_assigned -> shipped" in out

        code, out, _ = await run_cli(url, "state", "rebuild", "--dry-run")
        assert code == 0
        assert out.splitlines()[0] == (
            "replayed 4 events into 2 objects (customer, order, purchase_order, vendor): "
            "0 would change"
        )
        code, out, err = await run_cli(url, "objects", "show", "order", "9999")
        assert code == 1 and out == "" and "404 no order known as '9999'" in err
        code, _, err = await run_cli(url, "state", "rebuild", "--type", "invoice")
        assert code == 1 and "404" in err and len(err.splitlines()) == 1


def test_show_names_the_object_types_of_the_rules_only() -> None:
    done = hub_cli("objects", "show", "--help")
    assert "purchase_order" in done.stdout and "product" not in done.stdout


async def test_search_from_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([]))
    async with running_hub(hub_settings(tmp_path, rules=RULES)) as hub:
        sent = await hub.send("order.created", order_body("1042"), "o1")
        event_id = sent.json()["event_ids"][0]
        await hub.hub.tracker.caught_up()
        url = hub.served.url
        by_number = await run_cli(url, "search", "1042")
        by_id = await run_cli(url, "search", event_id, "--json")
        nothing = await run_cli(url, "search", "no-such-thing")
    assert by_number[0] == 0, by_number[2]
    header, *rows = by_number[1].splitlines()
    assert header.split() == ["KIND", "ID", "TITLE"]
    assert any(r.split()[0] == "object" and "order 1042" in r for r in rows)
    hits = json.loads(by_id[1])["items"]  # the event, then events whose payload names it
    assert hits[0]["id"] == event_id and [h["id"] for h in hits].count(event_id) == 1
    assert nothing[0] == 0 and "no records named 'no-such-thing' match" in nothing[1]
