"""Checks on every path: header limits, one Host, the readiness reason, the JSON 404."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from asgi_guard.answers import send_error, send_text
from scoring import contract


class HeaderLimits:
    """431 for header fields past gunicorn's limits, which uvicorn does not apply."""

    def __init__(self, app: ASGIApp, max_fields: int, max_field_bytes: int) -> None:
        self.app = app
        self.max_fields = max_fields
        self.max_field_bytes = max_field_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = scope["headers"] if scope["type"] == "http" else []
        too_large = len(headers) > self.max_fields or any(
            len(name) + len(value) + 2 > self.max_field_bytes for name, value in headers
        )
        if too_large:
            message = contract.headers_too_large_message(self.max_fields, self.max_field_bytes)
            await send_error(scope, receive, send, 431, message)
            return
        await self.app(scope, receive, send)


class ReadinessReason:
    """Answer /readyz 503 with why the server is not ready: the framework's probe only says not."""

    def __init__(self, app: ASGIApp, not_ready_reason: Callable[[], Awaitable[str | None]]) -> None:
        self.app = app
        self.not_ready_reason = not_ready_reason

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/readyz":
            reason = await self.not_ready_reason()
            if reason is not None:
                await send_text(scope, receive, send, 503, reason)
                return
        await self.app(scope, receive, send)


class OneHost:
    """400, as gunicorn answers, to a request with more than one Host field (RFC 9110 7.2)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if sum(name == b"host" for name, _ in scope["headers"]) > 1:
            await send_text(scope, receive, send, 400, contract.UNPARSEABLE)
            return
        await self.app(scope, receive, send)


class JSONNotFound:
    """Send the app's answer, but the contract's JSON in place of a framework's 404 page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] != "/" and scope["path"].endswith("/"):
            # no route ends with "/": Starlette would redirect "/predict/" (307), Flask 404s
            await send_error(scope, receive, send, 404, contract.NOT_FOUND)
            return
        replaced = False

        async def replacing_send(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 404:
                replaced = True
                await send_error(scope, receive, send, 404, contract.NOT_FOUND)
            elif not replaced:
                await send(message)

        await self.app(scope, receive, replacing_send)
