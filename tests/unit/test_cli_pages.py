"""`hub deliveries --limit N` shows exactly N: pages of the API's largest, counted once."""

from __future__ import annotations

from typing import Any

from hub.cli.admin import API_PAGE, _pages, moment


class FakeApi:
    """The API's paging, over 1,300 numbered deliveries."""

    def __init__(self) -> None:
        self.asked: list[dict[str, str]] = []

    async def call(self, method: str, path: str, params: dict[str, str]) -> Any:
        self.asked.append(params)
        start = int(params.get("cursor", "0"))
        end = min(1300, start + int(params["limit"]))
        page: dict[str, Any] = {"items": list(range(start, end)),
                                "next_cursor": str(end) if end < 1300 else None}  # fmt: skip
        return page | ({"total": 1300} if params.get("count") else {})


async def test_a_limit_above_one_page_is_fetched_in_pages_and_honoured_exactly() -> None:
    api = FakeApi()
    page = await _pages(api, {"status": "failed"}, None, 1200)  # type: ignore[arg-type]
    assert page["items"] == list(range(1200)) and page["next_cursor"] == "1200"
    assert page["total"] == 1300
    assert [p["limit"] for p in api.asked] == [str(API_PAGE), str(API_PAGE), "200"]
    assert [p.get("count") for p in api.asked] == ["true", None, None]  # counted once
    assert all(p["status"] == "failed" for p in api.asked)


async def test_the_last_page_has_no_cursor() -> None:
    page = await _pages(FakeApi(), {}, "1290", 50)  # type: ignore[arg-type]
    assert page["items"] == list(range(1290, 1300)) and page["next_cursor"] is None


def test_times_are_absolute_and_relative() -> None:
    now = 1_796_000_000.0  # 2026-11-30 00:53:20Z
    assert moment("2026-11-30T00:58:30Z", now) == "2026-11-30 00:58:30Z (in 5m)"
    assert moment("2026-11-29T22:52:20Z", now) == "2026-11-29 22:52:20Z (2h 1m ago)"
    assert moment("2026-11-30T00:53:20.4Z", now) == "2026-11-30 00:53:20Z (now)"
    assert moment("2026-11-30T00:53:50Z", now) == "2026-11-30 00:53:50Z (in 30s)"
    assert moment(None, now) == "-"
