"""The vendor dialects of times, money and ids, converted by pure helpers."""

from __future__ import annotations

from typing import Any

import pytest

from connectors._common import day, money, rfc3339, text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/Date(1637246655000)/", "2021-11-18T14:44:15Z"),  # D365 business events
        ("\\/Date(1506409448000-0700)\\/", "2017-09-26T07:04:08Z"),  # Dataverse, escaped
        ("/Date(1784051293000+0000)/", "2026-07-14T17:48:13Z"),  # F&O data events
        ("/Date(-2208988800000)/", "1900-01-01T00:00:00Z"),  # D365's default
        ("2022-12-30T13:51:15.2942742Z", "2022-12-30T13:51:15.294274Z"),  # 7 digits
        ("2025-09-10T21:31:25.179851517Z", "2025-09-10T21:31:25.179851Z"),  # QBO, 9 digits
        ("2015-10-05T14:42:19-0700", "2015-10-05T14:42:19-07:00"),  # QBO legacy offset
        ("2024-06-21T01:15:39.902", "2024-06-21T01:15:39.902000Z"),  # Xero, no zone
        ("2021-12-31T19:00:00-05:00", "2021-12-31T19:00:00-05:00"),  # Shopify
        ("Tue, 25 Jun 2019 16:15:35 +0000", "2019-06-25T16:15:35Z"),  # BigCommerce v2 API
        (1561479335, "2019-06-25T16:15:35Z"),  # BigCommerce created_at
        ("yesterday", None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_times(raw: Any, expected: str | None) -> None:
    assert rfc3339(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(1250.5, "1250.5"), (90055.6, "90055.6"), ("404.95", "404.95"), (0.1, "0.1"), (7, "7"),
     ("52.9300", "52.9300"), ("abc", None), (None, None), (True, None), (float("nan"), None)],
)  # fmt: skip
def test_money_is_an_exact_decimal_string(raw: Any, expected: str | None) -> None:
    assert money(raw) == expected


def test_ids_stay_exact_and_dates_become_days() -> None:
    assert text(820982911946154508) == "820982911946154508"
    assert text("  ") is None and text({"a": 1}) is None
    assert day("/Date(1672358400000)/") == "2022-12-30"
    assert day("2026-02-30") is None
