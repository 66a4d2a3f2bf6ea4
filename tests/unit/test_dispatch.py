"""Dispatch rules as tables: token buckets and in-flight caps."""

from __future__ import annotations

import pytest

from hub.outbound.dispatch import Bucket, Gate, admit


@pytest.mark.parametrize(
    ("rate", "times", "admitted"),
    [
        (1.0, [0.0, 0.0, 1.0, 1.5, 2.0], [True, False, True, False, True]),
        (2.0, [0.0, 0.0, 0.0, 0.5, 0.5], [True, True, False, True, False]),
        (0.5, [0.0, 1.0, 2.0], [True, False, True]),
    ],
)
def test_a_bucket_admits_at_its_rate(rate: float, times: list[float], admitted: list[bool]) -> None:
    bucket = Bucket(rate)
    assert [bucket.take(t) is None for t in times] == admitted


def test_a_refused_delivery_is_told_when_a_token_frees() -> None:
    bucket = Bucket(2.0)
    bucket.take(0.0), bucket.take(0.0)
    assert bucket.take(0.0) == pytest.approx(0.5)


def test_in_flight_caps() -> None:
    gate = Gate()
    assert admit(gate, 2, 0.0) is None
    assert admit(gate, 2, 0.0) is None
    assert admit(gate, 2, 0.0) == 1.0
    gate.in_flight -= 1
    assert admit(gate, 2, 0.0) is None
    assert admit(Gate(), None, 0.0) is None
