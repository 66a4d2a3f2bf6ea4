"""Batch planning as a table: full batches go, a remainder waits until its oldest is due."""

from __future__ import annotations

import pytest

from hub.model import Delivery, DeliveryJob, DeliveryStatus, Event
from hub.outbound.batching import BatchPolicy, batch_problems, plan


def job(n: int, created: float) -> DeliveryJob:
    event = Event(f"evt_{n:032x}", "order.created", "/s", "s", 0.0, 0.0, "{}")
    delivery = Delivery(f"dlv_{n:032x}", event.id, "sub", event.type, DeliveryStatus.PENDING,
                        created, created)  # fmt: skip
    return DeliveryJob(delivery, event)


@pytest.mark.parametrize(
    ("count", "now", "sizes", "held", "until"),
    [
        (7, 0.0, [3, 3], 1, 5.0),  # the seventh waits for company, at most until 5 s
        (7, 5.0, [3, 3, 1], 0, None),  # its time is up: it goes alone
        (6, 0.0, [3, 3], 0, None),
        (2, 1.0, [], 2, 5.0),
        (0, 0.0, [], 0, None),
    ],
)
def test_plan(count: int, now: float, sizes: list[int], held: int, until: float | None) -> None:
    jobs = [job(n, 0.0) for n in reversed(range(count))]
    ready, waiting, at = plan(jobs, BatchPolicy(3, 5.0), now)
    assert [len(b) for b in ready] == sizes
    assert (len(waiting), at) == (held, until)
    flat = [j.delivery.id for b in ready for j in b] + [j.delivery.id for j in waiting]
    assert flat == sorted(flat)  # acceptance order


@pytest.mark.parametrize(
    ("raw", "ok"),
    [(None, True), ({"size": 10}, True), ({"size": 10, "max_wait": 0}, True),
     ({"size": 1}, False), ({"size": 101}, False), ({"size": 5, "max_wait": 61}, False),
     ({"max_wait": 5}, False), ({"size": 5, "extra": 1}, False), ({"size": True}, False)],
)  # fmt: skip
def test_batch_settings(raw: object, ok: bool) -> None:
    assert (batch_problems(raw) == []) is ok
