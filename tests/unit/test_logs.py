"""Log lines and request ids: the pure parts."""

from __future__ import annotations

import json
import logging
import queue
import sys

import pytest

from hub.observe.logs import (
    REQUEST_ID,
    DroppingQueueHandler,
    JsonFormatter,
    RequestIdFilter,
    dropped_lines,
    formatter,
)
from hub.observe.pacing import Pacer
from hub.observe.request_id import request_id_of


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("hub.worker", logging.WARNING, "x.py", 1, message, args, None)
    for key, value in extra.items():
        setattr(made, key, value)
    RequestIdFilter().filter(made)
    return made


def test_a_json_line_carries_the_message_the_request_and_the_extras() -> None:
    token = REQUEST_ID.set("req_abc")
    try:
        made = record("delivery %s failed", "dlv_1", delivery_id="dlv_1")
    finally:
        REQUEST_ID.reset(token)
    line = json.loads(JsonFormatter().format(made))
    assert line["message"] == "delivery dlv_1 failed"
    assert line["level"] == "warning"
    assert line["logger"] == "hub.worker"
    assert line["request_id"] == "req_abc"
    assert line["delivery_id"] == "dlv_1"
    assert line["time"].endswith("+00:00")
    assert "args" not in line and "msg" not in line


def test_a_text_line_names_its_request_only_when_there_is_one() -> None:
    text = formatter("text")
    assert text.format(record("plain")).endswith("hub.worker: plain")
    token = REQUEST_ID.set("trace-9")
    try:
        assert text.format(record("inside")).endswith("inside [request trace-9]")
    finally:
        REQUEST_ID.reset(token)


def test_an_exception_is_one_json_field() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        made = logging.LogRecord("hub", logging.ERROR, "x.py", 1, "failed", (), sys.exc_info())
    line = json.loads(JsonFormatter().format(made))
    assert "ValueError: boom" in line["error"]


@pytest.mark.parametrize(
    ("presented", "kept"),
    [
        (b"trace-42", True),
        (b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", True),
        (b"a" * 128, True),
        (b"a" * 129, False),
        (b"has space", False),
        (b"line\nbreak", False),
        (b"", False),
        (None, False),
        ("caf\u00e9".encode(), False),
    ],
)
def test_a_presented_request_id_is_kept_only_when_safe(presented: bytes | None, kept: bool) -> None:
    found = request_id_of(presented)
    if kept:
        assert presented is not None and found == presented.decode()
    else:
        assert found.startswith("req_") and len(found) == 32


class Ticks:
    """Monotonic seconds that a test moves by hand."""

    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


def test_a_repeated_failure_is_written_once_then_summarized_per_interval() -> None:
    ticks = Ticks()
    pacer = Pacer(ticks, interval=10)
    key = ("erp-orders", "retrying", "HTTP 503")
    assert pacer.admit(key)  # the first, in full
    assert not any(pacer.admit(key) for _ in range(1412))
    assert pacer.admit(("erp-orders", "retrying", "HTTP 500"))  # another answer: its own line
    ticks.value += 9.9
    assert pacer.due() == []
    ticks.value += 0.1
    [summary] = pacer.due()  # the 500 had no repeats: no summary, and forgotten
    assert (summary.key, summary.count, summary.seconds) == (key, 1412, 10.0)
    assert not pacer.admit(key)  # the storm goes on: counted into the next window
    ticks.value += 10
    assert [s.count for s in pacer.due()] == [1]
    ticks.value += 10
    assert pacer.due() == []  # a quiet window ends the kind
    assert pacer.admit(key)  # and its next failure is written in full again
    assert pacer.admit(("erp-orders", "retrying", "HTTP 500"))
    assert not pacer.admit(key)
    ticks.value += 3
    [left] = pacer.drain()  # at shutdown: what the open window held, not lost
    assert (left.key, left.count, left.seconds) == (key, 1, 3.0)
    assert pacer.drain() == [] and pacer.admit(key)


def test_a_full_queue_drops_and_counts_lines_instead_of_waiting() -> None:
    lines: queue.Queue[logging.LogRecord] = queue.Queue(maxsize=2)
    handler = DroppingQueueHandler(lines)
    for n in range(5):
        handler.handle(record("line %d", n))
    assert handler.dropped == 3
    assert [lines.get_nowait().getMessage() for _ in range(2)] == ["line 0", "line 1"]


def test_a_queued_line_keeps_its_extras_and_its_traceback_as_text() -> None:
    lines: queue.Queue[logging.LogRecord] = queue.Queue()
    handler = DroppingQueueHandler(lines)
    try:
        raise ValueError("boom")
    except ValueError:
        made = logging.LogRecord(
            "hub", logging.ERROR, "x.py", 1, "failed %s", ("x",), sys.exc_info()
        )
    made.delivery_id = "dlv_1"
    handler.handle(made)
    line = json.loads(JsonFormatter().format(lines.get_nowait()))
    assert line["message"] == "failed x"
    assert line["delivery_id"] == "dlv_1"
    assert "ValueError: boom" in line["error"]


def test_the_root_logger_counts_what_its_queue_dropped() -> None:
    root = logging.getLogger()
    handler = DroppingQueueHandler(queue.Queue(maxsize=1))
    handler.dropped = 7
    root.addHandler(handler)
    try:
        assert dropped_lines() == 7
    finally:
        root.removeHandler(handler)
