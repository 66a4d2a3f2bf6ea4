"""Batch delivery: up to `size` events per POST, flushed once the oldest has waited `max_wait`.

Opt-in per subscription (``"batch": {"size": 50, "max_wait": 5}``), as the "bundle size" of
ERP business rules: a receiver that pays per request takes events in bundles. Planning is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub.model import DeliveryJob

SIZE_BOUNDS = (2, 100)
WAIT_BOUNDS = (0.0, 60.0)


@dataclass(frozen=True)
class BatchPolicy:
    size: int
    max_wait: float


def plan(
    jobs: Sequence[DeliveryJob], policy: BatchPolicy, now: float
) -> tuple[list[list[DeliveryJob]], list[DeliveryJob], float | None]:
    """Which claimed deliveries go now, in which batches, and until when the rest wait.

    Returns:
        (batches to send now, deliveries held back, when to look at those again).
    """
    ordered = sorted(jobs, key=lambda j: j.delivery.id)  # acceptance order
    cut = len(ordered) - len(ordered) % policy.size
    batches = [ordered[i : i + policy.size] for i in range(0, cut, policy.size)]
    rest = ordered[cut:]
    if not rest:
        return batches, [], None
    flush_at = flush_time(rest, policy)
    if flush_at <= now:
        return [*batches, rest], [], None
    return batches, rest, flush_at


def flush_time(jobs: Sequence[DeliveryJob], policy: BatchPolicy) -> float:
    """When the oldest of these has waited `max_wait`: the batch goes then, full or not."""
    return min(j.delivery.created_at for j in jobs) + policy.max_wait


def batch_problems(raw: object) -> list[str]:
    """Problems with a ``batch`` setting; empty when it is fine (or absent)."""
    if raw is None:
        return []
    if not isinstance(raw, dict) or set(raw) - {"size", "max_wait"} or "size" not in raw:
        return ["an object with size (and optionally max_wait)"]
    size, wait = raw["size"], raw.get("max_wait", 5)
    found = []
    if (
        isinstance(size, bool)
        or not isinstance(size, int)
        or not SIZE_BOUNDS[0] <= size <= SIZE_BOUNDS[1]
    ):
        found.append(f"size is an integer in {SIZE_BOUNDS[0]}..{SIZE_BOUNDS[1]}")
    if (
        isinstance(wait, bool)
        or not isinstance(wait, int | float)
        or not WAIT_BOUNDS[0] <= wait <= WAIT_BOUNDS[1]
    ):
        found.append(f"max_wait is seconds in {WAIT_BOUNDS[0]:g}..{WAIT_BOUNDS[1]:g}")
    return found


def parse_batch(raw: object) -> BatchPolicy | None:
    """The policy of a ``batch`` setting; None when absent or refused by `batch_problems`
    (callers report those, and may build the rest of a subscription before they do)."""
    if not isinstance(raw, dict) or batch_problems(raw):
        return None
    return BatchPolicy(int(raw["size"]), float(raw.get("max_wait", 5)))
