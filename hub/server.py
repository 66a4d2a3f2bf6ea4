"""Serving the app: uvicorn, with limits that hold against slow and greedy clients.

Uvicorn bounds the time between requests (keep-alive) but not the time a client takes to send
its headers: a slowloris client trickling one header a second holds its connection forever,
and enough of them starve the hub. `GuardedHttpTools` closes a connection whose request
headers are not complete within ``HUB_HEADER_TIMEOUT``; bodies are bounded in size and time by
the webhook route (``HUB_MAX_BODY_BYTES``, ``HUB_BODY_TIMEOUT``), and connections in number by
``HUB_MAX_CONNECTIONS`` (beyond it, uvicorn answers 503).
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from hub.config import Settings


class GuardedHttpTools(HttpToolsProtocol):
    """httptools protocol with a deadline for each request's headers."""

    header_timeout = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if getattr(self, "_deadline", None) is not None:
            self._deadline.cancel()  # type: ignore[union-attr]
            self._deadline = None

    def _expired(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()  # headers too slow: a slowloris, or a dead client

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request's headers get the same deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def config(app: Any, settings: Settings) -> uvicorn.Config:
    """The uvicorn configuration of `hub serve`."""
    protocol = type("Protocol", (GuardedHttpTools,), {"header_timeout": settings.header_timeout})
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=protocol,
        log_level=settings.log_level,
        access_log=False,  # URLs can carry credentials (?code=...); ingest logs its own lines
        timeout_graceful_shutdown=int(settings.drain_seconds) + 5,
        timeout_keep_alive=5,
        limit_concurrency=settings.max_connections,
        h11_max_incomplete_event_size=64 * 1024,
    )
