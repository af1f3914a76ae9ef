"""The contract at an ASGI edge: request checks before parsing, shedding, profiling.

Plain ASGI, free of BentoML: the BentoML entry services and the bare
Starlette app (bare/app.py) put the same guard in front of their handlers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scoring import contract, profiling
from scoring.settings import settings

logger = logging.getLogger(__name__)


class _BodyTooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


class RequestGuard:
    """Answer the contract's errors at the ASGI edge, before the framework parses anything.

    On every path: 431 for header fields past gunicorn's limits (uvicorn sets
    none), and the contract's JSON 404. On the predict path: 405, 415, 413,
    408 for a body that does not arrive within request_read_timeout_s, and 400
    for a body that does not fit the schema (BentoML logs each of those as a
    traceback; here it is one line). The body is read in full before the
    request counts as in progress, so slow clients hold no slot. Past
    max_in_flight requests in progress, it sheds with 503 and Retry-After: an
    event loop takes every request it is sent, and far beyond capacity each
    one waits longer for its turn, until Redis calls miss their timeouts.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        max_in_flight: int,
        not_ready_reason: Callable[[], Awaitable[str | None]] | None = None,
        read_timeout_s: float = settings.request_read_timeout_s,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self.not_ready_reason = not_ready_reason
        self.read_timeout_s = read_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _headers_too_large(scope["headers"]):
            await _send_error(send, 431, contract.HEADERS_TOO_LARGE)
            return
        if scope["path"] == "/readyz" and self.not_ready_reason:
            # the framework's own probe can only say "not ready"; this says why
            reason = await self.not_ready_reason()
            if reason is not None:
                await _send_text(send, 503, reason)
                return
        if scope["path"] != contract.PREDICT_PATH:
            await self.app(scope, receive, _json_not_found(send))
            return
        await self._predict(scope, receive, send)

    async def _predict(self, scope: Scope, receive: Receive, send: Send) -> None:
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
        try:
            async with asyncio.timeout(self.read_timeout_s):
                body = await self._read_body(receive)
        except TimeoutError:
            message = contract.read_timeout_message(self.read_timeout_s)
            await _send_error(send, 408, message, [(b"connection", b"close")])
            return
        except _BodyTooLarge:
            await _send_error(send, 413, contract.body_too_large_message(self.max_body_bytes))
            return
        except _Disconnected:
            return
        problem = _schema_problem(body)
        if problem is not None:
            logger.info("400 on %s: %s", contract.PREDICT_PATH, problem["error"])
            await _send_json(send, 400, problem)
            return
        if self.in_flight >= self.max_in_flight:
            await _send_error(send, 503, contract.SERVER_OVERLOADED)
            return
        self.in_flight += 1
        try:
            await self.app(scope, _replay(body, receive), send)
        finally:
            self.in_flight -= 1

    async def _read_body(self, receive: Receive) -> bytes:
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk: bytes = message.get("body", b"")
            body += chunk
            if len(body) > self.max_body_bytes:
                raise _BodyTooLarge
            if not message.get("more_body"):
                return body


def _headers_too_large(headers: list[tuple[bytes, bytes]]) -> bool:
    # the limits gunicorn applies to the sync target (set from the same settings)
    if len(headers) > settings.max_header_fields:
        return True
    limit = settings.max_header_field_bytes
    return any(len(name) + len(value) + 2 > limit for name, value in headers)


def _schema_problem(body: bytes) -> dict[str, Any] | None:
    # an empty body is an empty object, as BentoML reads it: "entity_id: Field required"
    try:
        contract.PredictRequest.model_validate_json(body or b"{}")
    except ValidationError as exc:
        return contract.validation_error_body(exc)
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # what comes after the body: a disconnect
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _json_not_found(send: Send) -> Send:
    """Send the app's answer, but the contract's JSON in place of a framework's 404 page."""
    replaced = False

    async def replacing_send(message: Message) -> None:
        nonlocal replaced
        if message["type"] == "http.response.start" and message["status"] == 404:
            replaced = True
            await _send_error(send, 404, contract.NOT_FOUND)
        elif not replaced:
            await send(message)

    return replacing_send


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
    await _send_json(send, status, contract.error_body(message), extra)


async def _send_json(
    send: Send, status: int, payload: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    contract_headers = [
        (k.lower().encode(), v.encode()) for k, v in contract.error_headers(status).items()
    ]
    body = contract.encode_json(payload)
    await _send(send, status, b"application/json", body, [*contract_headers, *(extra or [])])


async def _send_text(send: Send, status: int, text: str) -> None:
    await _send(send, status, b"text/plain; charset=utf-8", text.encode())


async def _send(
    send: Send,
    status: int,
    content_type: bytes,
    body: bytes,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers: list[Any] = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
