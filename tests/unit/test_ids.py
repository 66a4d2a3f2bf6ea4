"""Ids sort in creation order and look like ULIDs."""

from __future__ import annotations

import re

from hub.ids import new_id
from hub.store.base import CURSOR


def test_ids_are_unique_sorted_and_valid_cursors() -> None:
    made = [new_id("evt") for _ in range(20_000)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert all(CURSOR.match(i) for i in made)
    assert all(re.fullmatch(r"evt_[0-9a-f]{32}", i) for i in made)
