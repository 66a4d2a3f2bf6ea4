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
import contextlib
import errno
import socket
from collections.abc import Callable, Iterator
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from hub.config import Settings
from hub.errors import ConfigError


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
        PlainStartupErrors(app),
        host=settings.host,
        port=settings.port,
        http=protocol,
        log_level=settings.log_level,
        log_config=None,  # `hub.observe.logs` formats every line, uvicorn's too
        access_log=False,  # URLs can carry credentials (?code=...); ingest logs its own lines
        timeout_graceful_shutdown=int(settings.drain_seconds) + 5,
        timeout_keep_alive=5,
        limit_concurrency=settings.max_connections,
        h11_max_incomplete_event_size=64 * 1024,
    )


def bind(
    host: str, port: int, setting: str = "HUB_PORT", host_setting: str = "HUB_HOST"
) -> socket.socket:
    """A listening socket, bound before anything else starts, so a port in use is one line.

    Raises:
        ConfigError: the address is in use (naming the port's setting), or cannot be bound
            (naming the host's: an address this machine does not have, a name that does not
            resolve).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host.strip("[]"), port), family=family, backlog=2048)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            why = "is already in use (another hub, or another program?)"
            raise ConfigError(f"{setting}: {host}:{port} {why}") from None
        why = f"cannot be listened on: {exc.strerror or exc}"
        raise ConfigError(f"{host_setting}: {host}:{port} {why}") from None


class Server(uvicorn.Server):
    """uvicorn's server, announcing itself once it really serves: bound, and started up.

    Args:
        config: uvicorn's configuration.
        on_exit: called once serving is over, before uvicorn re-raises the signal that stopped
            it (which ends the process without running `atexit`): flushes the log writer.
    """

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None] = lambda: None):
        super().__init__(config)
        self._on_exit = on_exit

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            try:
                yield
            finally:
                self._on_exit()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and sockets:
            host, port = sockets[0].getsockname()[:2]
            shown = f"[{host}]" if ":" in str(host) else host
            print(f"hub: serving on http://{shown}:{port}", flush=True)


class PlainStartupErrors:
    """Turns a configuration error raised during start-up (another hub holds the database)
    into its one line, where Starlette would hand uvicorn the whole traceback to log."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def relay(message: Any) -> None:
            error = getattr(self.app.state, "startup_error", None)
            if message["type"] == "lifespan.startup.failed" and error is not None:
                message = {**message, "message": f"hub: configuration error: {error}"}
            await send(message)

        await self.app(scope, receive, relay)
