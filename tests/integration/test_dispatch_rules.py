"""Per-subscription dispatch: ordered delivery per subject, rate caps, in-flight caps."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from hub.clock import ManualClock
from hub.model import AttemptRecord
from hub.store.sqlite import SqliteStore
from tests.helpers import Receiver, Reply, RunningHub, hub_settings, order_data, running_hub


async def subscribe(hub: RunningHub, receiver: Receiver, **options: Any) -> dict[str, Any]:
    body = {"url": receiver.url(), "events": ["order.*"], "skip_validation": True, **options}
    created = await hub.post("/api/subscriptions", body)
    assert created.status_code == 201, created.text
    doc: dict[str, Any] = created.json()
    return doc


async def test_ordered_delivery_follows_acceptance_under_concurrent_ingest(tmp_path: Path) -> None:
    async with Receiver() as receiver, running_hub(hub_settings(tmp_path)) as hub:
        await subscribe(hub, receiver, ordered=True)
        sends = [
            hub.send("order.updated", order_data("O-1", order_number=str(n)), f"msg_o{n}")
            for n in range(20)
        ]
        assert {r.status_code for r in await asyncio.gather(*sends)} == {202}
        accepted = [e["data"]["order_number"] for e in
                    reversed((await hub.get("/api/events", limit=50))["items"])]  # fmt: skip
        got = [(await receiver.next()).json()["data"]["order_number"] for _ in accepted]
        assert got == accepted


async def test_a_failing_head_blocks_only_its_subject(tmp_path: Path) -> None:
    clock = ManualClock(start=1_900_000_000.0)
    async with Receiver() as receiver, running_hub(hub_settings(tmp_path), clock=clock) as hub:
        doc = await subscribe(hub, receiver, ordered=True)
        receiver.respond(Reply(500, b"down"))
        await hub.send("order.created", order_data("A"), "msg_a1", timestamp=clock.now())
        assert (await receiver.next()).json()["data"]["order_id"] == "A"  # fails: retried in 5 s
        await hub.hub.worker.wait_recorded(1)
        await hub.send("order.updated", order_data("A"), "msg_a2", timestamp=clock.now())
        await hub.send("order.created", order_data("B"), "msg_b1", timestamp=clock.now())
        assert (await receiver.next()).json()["data"]["order_id"] == "B"
        await hub.hub.worker.wait_handled(3)  # A's second event was held, not sent
        shown = await hub.get(f"/api/subscriptions/{doc['id']}")
        assert [(b["subject"], b["waiting"]) for b in shown["blocked"]] == [("order/A", 1)]
        clock.advance(6)
        first, second = (await receiver.next()).json(), (await receiver.next()).json()
        assert (first["type"], second["type"]) == ("order.created", "order.updated")
        assert (await hub.get(f"/api/subscriptions/{doc['id']}"))["blocked"] == []


async def test_a_rate_cap_spaces_deliveries_on_the_clock(tmp_path: Path) -> None:
    clock = ManualClock(start=1_900_000_000.0)
    async with Receiver() as receiver, running_hub(hub_settings(tmp_path), clock=clock) as hub:
        await subscribe(hub, receiver, rate_limit=1)
        for n in range(3):
            await hub.send(
                "order.created", order_data(f"R-{n}"), f"msg_r{n}", timestamp=clock.now()
            )
        await receiver.next()
        await hub.hub.worker.wait_handled(3)  # one sent, two held back by the bucket
        assert receiver.received.empty()
        clock.advance(1)
        await receiver.next()
        clock.advance(1)
        await receiver.next()
        assert receiver.received.empty()


async def test_an_in_flight_cap_of_one_sends_one_at_a_time(tmp_path: Path) -> None:
    async with Receiver() as receiver, running_hub(hub_settings(tmp_path)) as hub:
        await subscribe(hub, receiver, max_in_flight=1)
        receiver.respond(Reply(hold=True))
        await hub.send("order.created", order_data("C-1"), "msg_c1")
        await hub.send("order.created", order_data("C-2"), "msg_c2")
        await receiver.next()  # the first is held open by the receiver
        await hub.hub.worker.wait_handled(1)  # the second was held back: the slot is taken
        assert receiver.received.empty()
        receiver.release()
        await hub.hub.worker.wait_recorded(1)
        assert isinstance(hub.clock, ManualClock)
        hub.clock.advance(1)  # a held delivery looks again a second later
        assert (await receiver.next()).json()["data"]["order_id"] == "C-2"


async def test_batches_of_n_flushed_after_the_wait(tmp_path: Path) -> None:
    clock = ManualClock(start=1_900_000_000.0)
    async with Receiver() as receiver, running_hub(hub_settings(tmp_path), clock=clock) as hub:
        doc = await subscribe(hub, receiver, batch={"size": 3, "max_wait": 5})
        hub.hub.worker.paused = True  # accept all seven first, so one claim sees them together
        for n in range(7):
            await hub.send(
                "order.created", order_data(f"B-{n}"), f"msg_b{n}", timestamp=clock.now()
            )
        hub.hub.worker.paused = False
        hub.hub.worker.notify()
        batches = [await receiver.next(), await receiver.next()]
        await hub.hub.worker.wait_handled(7)  # six sent in two batches, one held back
        assert receiver.received.empty()
        clock.advance(5)
        batches.append(await receiver.next())
        seen = []
        for got in batches:
            assert got.headers["content-type"].startswith("application/cloudevents-batch+json")
            assert got.headers["webhook-id"].startswith("bat_")
            events = Webhook(doc["secret"]).verify(got.body, got.headers)
            seen.append([e["data"]["order_id"] for e in events])
        assert seen == [["B-0", "B-1", "B-2"], ["B-3", "B-4", "B-5"], ["B-6"]]
        await hub.hub.worker.wait_recorded(7)  # each delivery keeps its own record
        delivered = (await hub.get("/api/deliveries", subscription=doc["id"], limit=10))["items"]
        assert {d["status"] for d in delivered} == {"succeeded"} and len(delivered) == 7


async def test_events_that_arrive_one_by_one_still_travel_in_full_batches(tmp_path: Path) -> None:
    # 12 events accepted one after the other, nothing paused: each is claimed alone, and the
    # batch gathers the ones waiting from earlier claims. The clock never moves until the end,
    # so only a full batch may go before the flush time.
    clock = ManualClock(start=1_900_000_000.0)
    async with Receiver() as receiver, running_hub(hub_settings(tmp_path), clock=clock) as hub:
        doc = await subscribe(hub, receiver, batch={"size": 5, "max_wait": 2})
        for n in range(12):
            response = await hub.send(
                "order.created", order_data(f"E-{n}"), f"msg_e{n}", timestamp=clock.now()
            )
            assert response.status_code == 202
        full = [await receiver.next(), await receiver.next()]
        await hub.hub.worker.wait_recorded(10)
        await hub.hub.worker.wait_handled(12)  # the last two were claimed and held back
        assert receiver.received.empty()
        clock.advance(2)  # the oldest waiting one has waited max_wait
        batches = [*full, await receiver.next()]
        sizes = [[e["data"]["order_id"] for e in verify(doc, got)] for got in batches]
        assert sizes == [[f"E-{n}" for n in range(5)], [f"E-{n}" for n in range(5, 10)],
                         ["E-10", "E-11"]]  # fmt: skip
        await hub.hub.worker.wait_recorded(12)
        assert receiver.received.empty()


def verify(doc: dict[str, Any], got: Any) -> Any:
    return Webhook(doc["secret"]).verify(got.body, got.headers)


async def test_free_slots_are_filled_while_slow_receivers_hold_the_rest(tmp_path: Path) -> None:
    # Seven of eight slots held open by a slow receiver: the eighth still carries what is due.
    settings = hub_settings(tmp_path, worker_concurrency=8, delivery_timeout=30.0)
    async with Receiver() as slow, Receiver() as fast, running_hub(settings) as hub:
        await subscribe(hub, slow, events=["order.created"])
        await subscribe(hub, fast, events=["customer.created"])
        slow.respond(*[Reply(hold=True)] * 7)
        for n in range(7):
            await hub.send("order.created", order_data(f"S-{n}"), f"msg_s{n}")
        for _ in range(7):
            await slow.next()  # all seven are open at the slow receiver
        await hub.send("customer.created", {"customer_id": "C-1"}, "msg_fast")
        got = await fast.next(within=5.0)
        assert got.json()["data"]["customer_id"] == "C-1"
        assert hub.hub.worker.in_flight == 7  # the slow ones were never let go
        slow.release()
        await hub.hub.worker.wait_recorded(8)


class HeadEndsAroundTheHold(SqliteStore):
    """A store that lets an ordered head's attempt end right before (or right after) its
    follower is held: the interleaving that once left the follower waiting HELD_RECHECK.

    The head is held open at the receiver; when the follower is about to be held, the
    receiver is released and the store waits until the head's end has rescheduled its subject.
    """

    def __init__(self, path: str, receiver: Receiver, after: bool) -> None:
        super().__init__(path)
        self.receiver, self.after = receiver, after
        self.rescheduled = asyncio.Event()
        self.holds = 0

    async def _head_ends(self) -> None:
        self.receiver.release()
        await self.rescheduled.wait()

    async def hold_ordered(self, *args: Any) -> bool:
        self.holds += 1
        if self.holds == 2 and not self.after:  # the follower's, not the head's own look
            await self._head_ends()
        held = await super().hold_ordered(*args)
        if self.holds == 2 and self.after:
            await self._head_ends()
        return held

    async def postpone(self, delivery_ids: list[str], until: float) -> None:
        await self._head_ends()  # the hold as it was once written: a read, then this
        await super().postpone(delivery_ids, until)

    async def record(self, record: AttemptRecord) -> None:
        await super().record(record)
        if record.release_subject is not None:  # the head's end released its subject
            self.rescheduled.set()


@pytest.mark.parametrize("after", [False, True], ids=["head-ends-first", "head-ends-after"])
async def test_a_head_ending_around_the_hold_never_strands_its_follower(
    tmp_path: Path, after: bool
) -> None:
    clock = ManualClock(start=1_900_000_000.0)  # never advanced: no recheck can come to the rescue
    async with Receiver() as receiver:
        store = HeadEndsAroundTheHold(str(tmp_path / "hub.db"), receiver, after)
        async with running_hub(hub_settings(tmp_path), clock=clock, store=store) as hub:
            await subscribe(hub, receiver, ordered=True)
            receiver.respond(Reply(hold=True))
            await hub.send("order.created", order_data("H"), "msg_h1", timestamp=clock.now())
            await hub.send("order.updated", order_data("H"), "msg_h2", timestamp=clock.now())
            first = (await receiver.next(within=5.0)).json()
            second = (await receiver.next(within=5.0)).json()
            assert (first["type"], second["type"]) == ("order.created", "order.updated")
