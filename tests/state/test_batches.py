"""The tracker applies a run of the log's events in one transaction: the result must be the
one that applying them one at a time gives, merges, deadlines and duplicates included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import Receiver, RunningHub
from tests.state.test_journeys import order_body, plain_hub

D365 = {"d365": {"sales_order_id": "SO-9"}}
SCRIPT: list[tuple[str, dict[str, Any]]] = [
    ("order.created", order_body("S-1")),
    ("order.created", order_body("S-2", price="0")),  # held: a line without a price
    ("order.confirmed", {"order_id": "SO-9", "references": D365}),  # a second object, for now
    ("order.paid", {"order_id": "S-3", "references": {"shopify": {"order_id": "S-3"}}}),
    ("order.created", order_body("S-3")),
    (
        "order.invoiced",
        {
            "order_id": "SO-9",
            "invoice_id": "INV-9",  # proves S-1 is SO-9
            "references": {**D365, "shopify": {"order_id": "S-1"}},
        },
    ),
    ("order.created", order_body("S-4")),
    ("order.paid", {"order_id": "S-4", "references": {"shopify": {"order_id": "S-4"}}}),
    ("order.shipped", {"order_id": "S-4", "references": {"shopify": {"order_id": "S-4"}}}),
    ("order.paid", {"order_id": "S-1", "references": {"shopify": {"order_id": "S-1"}}}),
]


async def outcome(hub: RunningHub) -> dict[str, Any]:
    """Everything that must not depend on how the events were grouped."""
    found: dict[str, Any] = {}
    for item in (await hub.get("/api/objects", type="order", limit=100))["items"]:
        doc = await hub.get(f"/api/objects/order/{item['key']}")
        found[item["key"]] = {
            "status": (doc["status"], doc["state"], doc["reason"]),
            "aliases": sorted(doc["aliases"]),
            "facts": doc["facts"],
            "log": sorted(
                str((e["trigger"], e["outcome"], e["from_status"], e["to_status"]))
                for e in doc["logbook"]
            ),
            "timeline": len(doc["timeline"]),
            "deadlines": [(d["status"], d["emit"]) for d in doc["deadlines"]],
        }
    events = await hub.get("/api/events", type="order.status_changed", limit=100)
    found["status events"] = sorted(
        str((e["data"]["reference_key"], e["data"]["from_status"], e["data"]["to_status"]))
        for e in events["items"]
    )
    return found


async def test_a_batch_ends_where_one_by_one_ends(tmp_path: Path) -> None:
    async with Receiver() as receiver:
        (tmp_path / "one").mkdir()
        (tmp_path / "batch").mkdir()
        async with await plain_hub(tmp_path / "one", receiver) as hub:
            for n, (event_type, data) in enumerate(SCRIPT):
                assert (await hub.send(event_type, data, f"m{n}")).status_code == 202
                await hub.hub.tracker.caught_up()
            one_by_one = await outcome(hub)
        async with await plain_hub(tmp_path / "batch", receiver) as hub:
            hub.hub.tracker.paused = True  # the events pile up in the log
            for n, (event_type, data) in enumerate(SCRIPT):
                assert (await hub.send(event_type, data, f"m{n}")).status_code == 202
            assert (await hub.send(*SCRIPT[0], "m0")).status_code == 200  # a duplicate
            hub.hub.tracker.paused = False
            hub.hub.tracker.notify()
            await hub.hub.tracker.caught_up()
            batched = await outcome(hub)
    assert batched == one_by_one
    assert set(batched) == {"S-1", "S-2", "S-3", "S-4", "status events"}
    assert batched["S-1"]["status"][0] == "completed"  # the merge kept S-1, then it was paid
    assert batched["S-2"]["status"][0] == "on_hold"
    assert batched["S-4"]["status"][0] == "shipped"  # paid's deadline gone, shipped's kept
    assert batched["S-4"]["deadlines"] == [("shipped", "order.overdue")]


def test_a_status_event_that_fails_its_schema_costs_only_itself() -> None:
    """The hub's own bug in one outcome's status events must not cost the batch its state."""
    from hub.errors import SchemaViolation
    from hub.model import CanonicalEvent, Receipt
    from hub.state.apply import Applied
    from hub.state.writes import Batch
    from tests.integration.test_state_store import order

    def prepare(events: list[CanonicalEvent]) -> Any:
        if any(e.subject == "order/bad" for e in events):
            raise SchemaViolation("status event invalid", [])
        return Receipt("rcp_1", "hub", None, 0.0, b""), [e.subject for e in events], []

    batch = Batch("evt_0")
    for key in ("good", "bad", "also-good"):
        status = CanonicalEvent("order.status_changed", 0.0, {}, f"order/{key}")
        batch.add(Applied(order(key, f"shopify.order_id:{key}"), emitted=[status]), None)
    change = batch.change(prepare)
    assert [o.key for o in change.objects] == ["good", "bad", "also-good"]
    assert change.events == ["order/good", "order/also-good"]  # type: ignore[comparison-overlap]
