"""The contract at an ASGI edge: request checks before parsing, shedding, profiling.

Plain ASGI, free of BentoML: the BentoML entry services and the bare
Starlette app (bare/app.py) put the same guard in front of their handlers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scoring import contract, profiling


class _BodyTooLarge(Exception):
    pass


class RequestGuard:
    """Answer 405, 413 and 415 on the predict path with the contract's JSON errors.

    It also sheds: past max_in_flight predict requests in progress, it
    answers 503 with Retry-After at once. An event loop takes every request
    it is sent, and far beyond capacity each one then waits longer for its
    turn, and Redis calls miss their 0.5 s timeouts on a loop too busy to run them.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        max_in_flight: int,
        not_ready_reason: Callable[[], Awaitable[str | None]] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self.not_ready_reason = not_ready_reason

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/readyz" and self.not_ready_reason:
            # the framework's own probe can only say "not ready"; this says why
            reason = await self.not_ready_reason()
            if reason is not None:
                await _send_text(send, 503, reason)
                return
        if scope["type"] != "http" or scope["path"] != contract.PREDICT_PATH:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if scope["method"] != "POST":
            await _send_error(send, 405, contract.METHOD_NOT_ALLOWED, [(b"allow", b"POST")])
            return
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if not contract.is_json_media_type(content_type):
            await _send_error(send, 415, contract.UNSUPPORTED_MEDIA_TYPE)
            return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await _send_error(send, 413, contract.body_too_large_message(self.max_body_bytes))
            return
        if self.in_flight >= self.max_in_flight:
            await _send_error(send, 503, contract.SERVER_OVERLOADED)
            return
        self.in_flight += 1
        try:
            await self._call_counting(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _call_counting(self, scope: Scope, receive: Receive, send: Send) -> None:
        # a chunked body has no Content-Length: count it as it arrives, and
        # when it overflows, answer 413 in place of whatever BentoML makes of
        # the aborted read (its handler turns any exception into a 500)
        received = 0
        oversized = answered = False

        async def counting_receive() -> Message:
            nonlocal received, oversized
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    oversized = True
                    raise _BodyTooLarge
            return message

        async def replacing_send(message: Message) -> None:
            nonlocal answered
            if not oversized:
                await send(message)
            elif not answered and message["type"] == "http.response.start":
                answered = True
                await _send_error(send, 413, contract.body_too_large_message(self.max_body_bytes))

        try:
            await self.app(scope, counting_receive, replacing_send)
        except _BodyTooLarge:
            if not answered:
                await _send_error(send, 413, contract.body_too_large_message(self.max_body_bytes))


class ProfileMiddleware:
    """Profile every predict request into SCORING_PROFILE_DIR (diagnostics only)."""

    def __init__(self, app: ASGIApp, directory: Path) -> None:
        self.app = app
        self.directory = directory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != contract.PREDICT_PATH:
            await self.app(scope, receive, send)
            return
        profiler = profiling.start(async_mode=True)
        try:
            await self.app(scope, receive, send)
        finally:
            profiling.finish(profiler, self.directory)


async def _send_error(
    send: Send, status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = contract.encode_json(contract.error_body(message))
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in contract.error_headers(status).items()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_text(send: Send, status: int, text: str) -> None:
    body = text.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
