"""Checks on the predict path, in the contract's order: method, media type, body, schema, load."""

from __future__ import annotations

import asyncio
import logging

from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from asgi_guard.answers import send_error, send_json
from scoring import contract

logger = logging.getLogger(__name__)


class MethodAndMediaType:
    """405 for anything but POST (Allow: POST), 415 for a body that is not JSON."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            allow = {"Allow": "POST"}
            await send_error(scope, receive, send, 405, contract.METHOD_NOT_ALLOWED, allow)
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
        if not contract.is_json_media_type(content_type):
            await send_error(scope, receive, send, 415, contract.UNSUPPORTED_MEDIA_TYPE)
            return
        await self.app(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


class WholeBody:
    """Read the whole body within a deadline and a size, then replay it to the app.

    413 for a body over max_body_bytes (declared or counted), 408 for one that
    does not arrive within read_timeout_s. Read before the request counts as in
    progress, so slow clients hold no slot.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, read_timeout_s: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.read_timeout_s = read_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        too_large = contract.body_too_large_message(self.max_body_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await send_error(scope, receive, send, 413, too_large)
            return
        try:
            async with asyncio.timeout(self.read_timeout_s):
                body = await self._read(receive)
        except TimeoutError:
            message = contract.read_timeout_message(self.read_timeout_s)
            await send_error(scope, receive, send, 408, message, {"Connection": "close"})
            return
        except _BodyTooLarge:
            await send_error(scope, receive, send, 413, too_large)
            return
        except _Disconnected:
            return
        await self.app(scope, replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes:
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


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body read already, then what comes after it (a disconnect)."""
    sent = False

    async def replaying() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replaying


class Schema:
    """400 for a body that does not fit the request schema: one log line, not a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = (await receive()).get("body", b"")  # the whole body, replayed by WholeBody
        try:
            # an empty body is an empty object, as BentoML reads it: "entity_id: Field required"
            contract.PredictRequest.model_validate_json(body or b"{}")
        except ValidationError as exc:
            problem = contract.validation_error_body(exc)
            logger.info("400 on %s: %s", contract.PREDICT_PATH, problem["error"])
            await send_json(scope, receive, send, 400, problem)
            return
        await self.app(scope, replay(body, receive), send)


class Shedding:
    """503 with Retry-After past max_in_flight requests in progress.

    An event loop takes every request it is sent, and far beyond capacity each
    one waits longer for its turn, until Redis calls miss their timeouts.
    """

    def __init__(self, app: ASGIApp, max_in_flight: int) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.in_flight >= self.max_in_flight:
            await send_error(scope, receive, send, 503, contract.SERVER_OVERLOADED)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
