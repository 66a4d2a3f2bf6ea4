"""The retry policy as a table: attempt outcome in, decision out."""

from __future__ import annotations

import pytest

from hub.outbound.retry import (
    DEFAULT_SCHEDULE,
    AttemptVerdict,
    RetryPolicy,
    decide_retry,
    parse_retry_after,
)

POLICY = RetryPolicy()
NOW = 1_000_000.0


def test_default_schedule_is_the_documented_one() -> None:
    assert DEFAULT_SCHEDULE == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    assert POLICY.max_attempts == 8


@pytest.mark.parametrize(
    ("status", "index", "spread", "verdict", "delay", "next_index"),
    [
        (200, 0, 0.0, AttemptVerdict.SUCCEEDED, None, 0),
        (204, 3, 0.0, AttemptVerdict.SUCCEEDED, None, 3),
        (500, 0, 0.0, AttemptVerdict.RETRY, 5, 1),
        (None, 0, 0.0, AttemptVerdict.RETRY, 5, 1),  # network error
        (302, 0, 0.0, AttemptVerdict.RETRY, 5, 1),  # redirects are failures, never followed
        (400, 1, 0.0, AttemptVerdict.RETRY, 300, 2),
        (500, 1, 1.0, AttemptVerdict.RETRY, 330, 2),  # +10 % jitter
        (500, 1, -1.0, AttemptVerdict.RETRY, 270, 2),  # -10 % jitter
        (500, 1, 7.0, AttemptVerdict.RETRY, 330, 2),  # spread is clamped
        (500, 5, 0.0, AttemptVerdict.RETRY, 36000, 6),
        (500, 6, 0.0, AttemptVerdict.RETRY, 36000, 7),
        (500, 7, 0.0, AttemptVerdict.FAILED, None, 7),  # eighth attempt failed: dead letter
        (410, 0, 0.0, AttemptVerdict.GONE, None, 0),
        (410, 7, 0.0, AttemptVerdict.GONE, None, 7),
    ],
)
def test_decisions(
    status: int | None,
    index: int,
    spread: float,
    verdict: AttemptVerdict,
    delay: float | None,
    next_index: int,
) -> None:
    decision = decide_retry(status, index, POLICY, NOW, spread)
    assert decision.verdict is verdict
    assert decision.retry_index == next_index
    if delay is None:
        assert decision.next_attempt_at is None
    else:
        assert decision.next_attempt_at == pytest.approx(NOW + delay)


@pytest.mark.parametrize(
    ("status", "retry_after", "delay"),
    [
        (429, 120.0, 120),
        (503, 1.0, 1),
        (500, 120.0, 5),  # only 429 and 503 carry Retry-After meaning
        (429, None, 5),
    ],
)
def test_retry_after_on_throttling(status: int, retry_after: float | None, delay: float) -> None:
    decision = decide_retry(status, 0, POLICY, NOW, 0.0, retry_after)
    assert decision.next_attempt_at == pytest.approx(NOW + delay)


def test_override_schedule() -> None:
    policy = RetryPolicy((0, 1), jitter=0)
    assert decide_retry(500, 0, policy, NOW, 1.0).next_attempt_at == NOW + 1
    assert decide_retry(500, 1, policy, NOW, 1.0).verdict is AttemptVerdict.FAILED


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("999999999", 86_400.0),  # capped at a day
        ("Thu, 01 Jan 1970 00:20:00 GMT", 200.0),  # now is 1000 s, i.e. 00:16:40
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),  # in the past: at once
        ("soon", None),
        ("", None),
        (None, None),
        ("-5", None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    got = parse_retry_after(header, 1000.0)
    assert got == (None if seconds is None else pytest.approx(seconds))
