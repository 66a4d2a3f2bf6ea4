"""The console's calls of the admin API, made in-process through the ASGI app itself.

The call runs the whole stack (request ids, authentication, routing, the audit trail) with the
console's principal set in its scope instead of a bearer token.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.types import Message

from hub.api.tokens import CONSOLE_PRINCIPAL, Principal

AGENT = b"hub-console/1"


@dataclass(frozen=True)
class Answer:
    status: int
    doc: Any

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def problem(self) -> str:
        """A problem's title and detail, as one sentence for a page."""
        if isinstance(self.doc, dict):
            title, detail = self.doc.get("title"), self.doc.get("detail")
            return ": ".join(str(p) for p in (title, detail) if p) or f"HTTP {self.status}"
        return f"HTTP {self.status}"


def _scope(
    request: Request, who: Principal, method: str, path: str, query: str, size: int
) -> dict[str, Any]:
    headers = [
        (b"user-agent", AGENT),
        (b"content-type", b"application/json"),
        (b"content-length", str(size).encode()),
    ]
    if (rid := request.scope.get("state", {}).get("request_id")) is not None:
        headers.append((b"x-request-id", rid.encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": request.url.scheme,
        "server": request.scope.get("server"),
        "client": request.scope.get("client"),
        "root_path": "",
        "path": "/api" + path,
        "raw_path": ("/api" + path).encode(),
        "query_string": query.encode(),
        "headers": headers,
        "state": {},
        CONSOLE_PRINCIPAL: who,
    }


async def call(
    request: Request,
    who: Principal,
    method: str,
    path: str,
    query: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> Answer:
    """One API call as `who`; its answer, problems included."""
    payload = orjson.dumps(body) if body is not None else b""
    query_text = urlencode({k: v for k, v in (query or {}).items() if v not in (None, "")})
    scope = _scope(request, who, method, path, query_text, len(payload))
    done = asyncio.Event()
    sent = False
    status = 500
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": payload, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    try:
        await request.app(scope, receive, send)
    except Exception:
        # The error middleware answers a 500 problem and then re-raises; the answer stands.
        if not chunks:
            raise
    raw = b"".join(chunks)
    return Answer(status, orjson.loads(raw) if raw.strip() else None)
