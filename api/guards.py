"""Guards every request and response passes through: the Host header check (400 for a name this server does not
answer to, against DNS rebinding), a cap on request bodies (413 before anything parses them) and the security
headers of every answer (a Content-Security-Policy that runs only the app's own scripts, no framing, no MIME
sniffing, no referrer). Plain ASGI middleware: they see the bytes, not FastAPI's objects."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from api.exposure import allowed_hosts

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 1 << 20  # 1 MiB: the largest real body (a sweep of 100 models, a variant's kwargs) is a few kB
# Plotly sets inline styles on the elements it draws, so styles may be inline; scripts may not.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                           "form-action 'self'; object-src 'none'")
HEADERS = {b"x-content-type-options": b"nosniff", b"referrer-policy": b"no-referrer", b"x-frame-options": b"DENY"}


def _json(status: int, text: str) -> tuple[Message, Message]:
    body = json.dumps({"detail": text, "message": text}).encode()
    return ({"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]},
            {"type": "http.response.body", "body": body})


class HostCheck:
    """Answers 400 to a request whose Host header names a host not in api.exposure.allowed_hosts()."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        allowed = allowed_hosts() if scope["type"] == "http" else None
        if allowed is not None:
            raw = dict(scope["headers"]).get(b"host", b"").decode("latin-1").strip().lower()
            name = raw[1:raw.index("]")] if raw.startswith("[") and "]" in raw else raw.rsplit(":", 1)[0] if ":" in raw else raw
            if name not in allowed:
                start, body = _json(400, f"this server does not answer to the host name {raw or '(none)'!r}; reach it "
                                         f"as {' or '.join(allowed)}, or add the name to SPEEDBOARD_ALLOWED_HOSTS")
                await send(start)
                await send(body)
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """Answers 413 to a request whose body is over MAX_BODY_BYTES, by its Content-Length or, sent in chunks, as it
    arrives; what fits is read once and handed on unchanged."""

    def __init__(self, app: App, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._refuse(send)
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        start, body = _json(413, f"the request body is over {self.limit // 1024} KiB, more than any Speedboard request "
                                 "needs; send fewer models or smaller kwargs")
        await send(start)
        await send(body)


class SecurityHeaders:
    """Adds HEADERS and, unless the route set its own (/docs allows its one inline script by hash), the
    Content-Security-Policy to every HTTP answer."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in HEADERS.items() if name not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
