"""Log lines as text or JSON (``HUB_LOG_FORMAT``), each carrying the request id it belongs to.

One handler on the root logger formats every line, uvicorn's included, so a JSON deployment
never mixes in a plain line. The request id travels in a context variable: a line logged
anywhere while a request is handled names it without being handed it.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

REQUEST_ID: ContextVar[str | None] = ContextVar("hub_request_id", default=None)

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
        return orjson.dumps(line, default=str).decode()


def formatter(fmt: str) -> logging.Formatter:
    """The formatter of a ``HUB_LOG_FORMAT`` value."""
    return JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def configure(level: str, fmt: str) -> None:
    """Send every logger's lines, uvicorn's too, through one stderr handler.

    Called once by ``hub serve``, before the server starts; tests leave logging alone.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
