"""Log lines and request ids: the pure parts."""

from __future__ import annotations

import json
import logging

import pytest

from hub.observe.logs import REQUEST_ID, JsonFormatter, RequestIdFilter, formatter
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
        import sys

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
