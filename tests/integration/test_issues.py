"""Issues end to end: an outage is one item, raised to the admins' subscriber, and resolved
by the next success."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import (
    SUBSCRIBER_SECRET,
    Receiver,
    Reply,
    hub_settings,
    order_data,
    running_hub,
    subscriptions_yaml,
    verify_outbound,
)
from tests.integration.test_observability import scrape, value


async def test_an_outage_is_one_issue_raised_and_resolved(tmp_path: Path) -> None:
    async with Receiver() as erp, Receiver() as ops:
        erp.respond(*[Reply(503)] * 3)
        (tmp_path / "subscriptions.yaml").write_text(subscriptions_yaml([
            {"id": "erp-orders", "url": erp.url(), "events": ["order.*"],
             "secret": SUBSCRIBER_SECRET},
            {"id": "ops", "url": ops.url(), "events": ["hub.issue.*"],
             "secret": SUBSCRIBER_SECRET},
        ]))  # fmt: skip
        async with running_hub(hub_settings(tmp_path)) as hub:
            for n in range(3):
                await hub.send("order.created", order_data(f"I-{n}"), f"msg_i{n}")
            opened = verify_outbound(await ops.next())
            await hub.hub.worker.wait_recorded(4)  # three 503s, and the ops delivery
            [issue] = (await hub.get("/api/issues"))["items"]
            during = await scrape(hub)
            hub.clock.advance(3600)  # type: ignore[attr-defined]  # the receiver is back
            resolved = verify_outbound(await ops.next())
            after = await hub.get(f"/api/issues/{issue['id']}")
            gauge_after = await scrape(hub)
    assert opened["type"] == "hub.issue.opened"
    assert opened["subject"] == f"issue/{issue['id']}"
    assert opened["data"]["title"] == "erp-orders: 503 from the receiver"
    assert opened["data"]["count"] == 1
    assert (issue["title"], issue["status"], issue["count"]) == (
        "erp-orders: 503 from the receiver", "open", 3)  # fmt: skip
    assert value(during, "hub_issues_open") == 1
    assert resolved["type"] == "hub.issue.resolved"
    assert resolved["data"]["issue_id"] == issue["id"]
    assert resolved["data"]["count"] == 3
    assert after["status"] == "resolved" and after["resolved_at"] is not None
    assert value(gauge_after, "hub_issues_open") == 0


async def test_signature_failures_are_one_issue_until_a_webhook_is_accepted(
    tmp_path: Path,
) -> None:
    async with running_hub(hub_settings(tmp_path)) as hub:
        for n in range(4):
            bad = await hub.send_raw(b"{}", f"msg_b{n}", headers={"webhook-signature": "v1,x"})
            assert bad.status_code == 401
        [issue] = (await hub.get("/api/issues", status="open"))["items"]
        acked = await hub.client.patch(
            f"/api/issues/{issue['id']}", json={"status": "acknowledged"}, headers=hub.admin
        )
        await hub.send("order.created", order_data("S-1"), "msg_ok")
        [done] = (await hub.get("/api/issues"))["items"]
        again = await hub.client.patch(
            f"/api/issues/{issue['id']}", json={"status": "acknowledged"}, headers=hub.admin
        )
        wrong = await hub.client.patch(
            f"/api/issues/{issue['id']}", json={"status": "open"}, headers=hub.admin
        )
    assert (issue["title"], issue["count"], issue["kind"]) == (
        "standard: signature failures", 4, "inbound")  # fmt: skip
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    assert done["status"] == "resolved"
    assert again.status_code == 409
    assert wrong.status_code == 400


async def test_schema_violations_are_grouped_by_type_and_place(tmp_path: Path) -> None:
    async with running_hub(hub_settings(tmp_path)) as hub:
        bad_line = order_data("V-1", lines=[{"sku": "A", "quantity": 1, "unit_price": 5}])
        for n in range(2):
            refused = await hub.send("order.created", bad_line, f"msg_v{n}")
            assert refused.status_code == 422, refused.text
        await hub.send("customer.created", {"customer_id": "C-1"}, "msg_c1")
        still = (await hub.get("/api/issues", status="open"))["items"]
        await hub.send("order.created", order_data("V-2"), "msg_v_ok")
        after = (await hub.get("/api/issues", status="open"))["items"]
    assert [(i["title"], i["count"]) for i in still] == [
        ("order.created: schema violations at /lines/0/unit_price", 2)]  # fmt: skip
    assert after == []


async def test_bulk_replay_skips_deleted_and_disabled_subscriptions(tmp_path: Path) -> None:
    """Dead letters of a subscription since deleted (or disabled) would fail again at once:
    a bulk replay or retry leaves them out and says how many, and the deleted one's issue
    resolves."""
    async with Receiver() as receiver:
        receiver.respond(*[Reply(500)] * 9)  # the first round fails everywhere
        async with running_hub(hub_settings(tmp_path)) as hub:
            made = {}
            for name in ("gone", "off", "kept"):
                answer = await hub.post("/api/subscriptions", {
                    "url": receiver.url(name), "events": ["order.*"], "skip_validation": True,
                    "retry": {"schedule": [0]}, "description": name})  # fmt: skip
                assert answer.status_code == 201, answer.text
                made[name] = answer.json()["id"]
            for n in range(2):
                await hub.send("order.created", order_data(f"G-{n}"), f"msg_g{n}")
            await hub.hub.worker.wait_recorded(6)
            live = {i["scope"] for i in (await hub.get("/api/issues", status="open"))["items"]}
            assert made["gone"] in live
            deleted = await hub.client.delete(
                f"/api/subscriptions/{made['gone']}", headers=hub.admin
            )
            assert deleted.status_code == 204
            disabled = await hub.client.patch(
                f"/api/subscriptions/{made['off']}", json={"active": False}, headers=hub.admin
            )
            assert disabled.status_code == 200, disabled.text
            dry = await hub.post("/api/deliveries/replay", {"dry_run": True})
            done = await hub.post("/api/deliveries/replay", {})
            await hub.hub.worker.wait_recorded(8)
            issues = (await hub.get("/api/issues"))["items"]
    assert dry.json()["count"] == 2
    assert {d["subscription_id"] for d in dry.json()["first"]} == {made["kept"]}
    assert dry.json()["skipped"] == {"subscription_deleted": 2, "subscription_disabled": 2}
    assert (done.json()["queued"], done.json()["skipped"]["subscription_deleted"]) == (2, 2)
    gone = [i for i in issues if i["scope"] == made["gone"]]
    assert gone and all(i["status"] == "resolved" for i in gone)
    assert [r.path for r in receiver.log[6:]] == ["/kept", "/kept"]  # nothing else again
