"""Endpoint health as a pure fold over attempts, and the decision to give up."""

from __future__ import annotations

import pytest

from hub.health import Health, fold, should_disable

DAY = 86_400.0


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [
        ([True], Health(last_success_at=0.0)),
        ([False, False], Health(None, 0.0, 2)),
        ([False, True, False], Health(10.0, 20.0, 1)),
        ([True, False, False, False], Health(0.0, 10.0, 3)),
    ],
)
def test_health_after_attempts(attempts: list[bool], expected: Health) -> None:
    health = Health()
    for n, succeeded in enumerate(attempts):
        health = health.after(succeeded, n * 10.0)
    assert health == expected


@pytest.mark.parametrize(
    ("health", "now", "disable"),
    [
        (Health(), 10 * DAY, False),
        (Health(last_success_at=0.0), 10 * DAY, False),
        (Health(None, 0.0, 40), 5 * DAY - 1, False),
        (Health(None, 0.0, 40), 5 * DAY, True),
        (Health(1.0, 2.0, 3), 6 * DAY, True),
    ],
)
def test_should_disable(health: Health, now: float, disable: bool) -> None:
    assert should_disable(health, now, 5 * DAY) is disable


def test_fold_tells_a_fresh_start_from_a_continued_run() -> None:
    runs = fold([("a", False, 1.0), ("b", True, 2.0), ("a", False, 3.0), ("b", False, 4.0)])
    assert runs["a"] == (False, Health(None, 1.0, 2))  # extends what the store has
    assert runs["b"] == (True, Health(2.0, 4.0, 1))  # a success started it afresh
