"""Log lines as text or JSON (``HUB_LOG_FORMAT``), each carrying the request id it belongs to.

One handler on the root logger formats every line, uvicorn's included, so a JSON deployment
never mixes in a plain line. The request id travels in a context variable: a line logged
anywhere while a request is handled names it without being handed it.

Logging never blocks the event loop. A full pipe, a slow terminal or journald pushing back is
a normal day in production, and a ``StreamHandler`` writing from the loop's thread would stop
ingest, delivery and health checks with it. Records go into a bounded queue that a writer
thread empties (`QueueHandler`, `QueueListener`); when the queue is full, a line is dropped and
counted (``hub_log_lines_dropped_total``), never waited for.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import logging.handlers
import queue
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

REQUEST_ID: ContextVar[str | None] = ContextVar("hub_request_id", default=None)

EXIT_FLUSH_SECONDS = 3.0
QUIET = ("httpx", "httpcore")  # they log every request with its URL at INFO
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(request)s"

# `logging.LogRecord` attributes: whatever else a line carries (``extra=``) is its context.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request",
    "request_id",
    "color_message",  # uvicorn's colored twin of the message
}


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id (``record.request_id``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        record.request_id = request_id
        record.request = f" [request {request_id}]" if request_id else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and the extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        elif record.exc_text:  # formatted before it crossed to the writer thread
            line["error"] = record.exc_text
        return orjson.dumps(line, default=str).decode()


class DroppingQueueHandler(logging.handlers.QueueHandler):
    """Puts records into a bounded queue and counts what did not fit instead of waiting.

    The record crosses to the writer thread with its message merged and its traceback as text,
    but its extras kept, so the JSON formatter on the other side still sees them.
    """

    def __init__(self, lines: queue.Queue[logging.LogRecord]) -> None:
        super().__init__(lines)
        self.dropped = 0
        self._traceback = logging.Formatter()

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        prepared = logging.makeLogRecord(vars(record))
        prepared.msg = record.getMessage()
        prepared.args = None
        if record.exc_info:
            prepared.exc_text = self._traceback.formatException(record.exc_info)
        prepared.exc_info = None
        return prepared

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1  # one thread (the loop's) logs nearly everything: no lock needed


class Writer(logging.handlers.QueueListener):
    """The thread that writes queued lines; at exit it flushes what the reader takes within
    `EXIT_FLUSH_SECONDS`, so a reader that stopped reading cannot keep the hub from exiting."""

    def __init__(self, lines: queue.Queue[Any], handler: logging.Handler) -> None:
        super().__init__(lines, handler)
        self._lines = lines

    def stop(self) -> None:
        thread = self._thread
        if thread is None:
            return
        with contextlib.suppress(queue.Full):  # the listener's sentinel is None
            self._lines.put(None, timeout=EXIT_FLUSH_SECONDS)
        thread.join(EXIT_FLUSH_SECONDS)
        self._thread = None


def dropped_lines() -> int:
    """Lines the root logger's queue has dropped since start-up (0 when logging is direct)."""
    return sum(
        h.dropped for h in logging.getLogger().handlers if isinstance(h, DroppingQueueHandler)
    )


def formatter(fmt: str) -> logging.Formatter:
    """The formatter of a ``HUB_LOG_FORMAT`` value."""
    return JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def configure(level: str, fmt: str, buffer: int = 10_000) -> Writer:
    """Send every logger's lines, uvicorn's too, through one bounded queue to stderr.

    Called once by ``hub serve``, before the server starts; tests leave logging alone.

    Args:
        level: the root level.
        fmt: ``text`` or ``json``.
        buffer: lines held for a slow reader before new ones are dropped.

    Returns:
        The started writer thread; it is stopped, and the queue flushed, at exit.
    """
    writer = logging.StreamHandler(sys.stderr)
    writer.setFormatter(formatter(fmt))
    lines: queue.Queue[logging.LogRecord] = queue.Queue(maxsize=buffer)
    handler = DroppingQueueHandler(lines)
    handler.addFilter(RequestIdFilter())  # in the caller's thread, where the request id is
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # A target URL can carry a credential (Slack's and Teams' incoming webhooks): our own lines
    # name subscriptions by id, and the HTTP clients' request lines are kept out.
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    listener = Writer(lines, writer)
    listener.start()
    atexit.register(listener.stop)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    return listener
