"""The whole guard as one ASGI middleware class, the form BentoML's add_asgi_middleware takes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from asgi_guard.edge import HeaderLimits, JSONNotFound, OneHost, ReadinessReason
from asgi_guard.predict import MethodAndMediaType, Schema, Shedding, WholeBody
from scoring import contract


async def _always_ready() -> str | None:
    return None


class RequestGuard:
    """Answer the contract's errors before the framework parses anything.

    On every path: 400 for a second Host field, 431 past the header limits,
    /readyz's reason, the JSON 404 (also for a path ending in "/").
    On the predict path, in order: 405, 415, 413, 408, 400, then 503 past
    max_in_flight requests in progress. Everything else reaches the app.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        max_in_flight: int,
        read_timeout_s: float,
        max_header_fields: int,
        max_header_field_bytes: int,
        not_ready_reason: Callable[[], Awaitable[str | None]] = _always_ready,
    ) -> None:
        self.app = app
        self.shedding = Shedding(app, max_in_flight)
        body = WholeBody(Schema(self.shedding), max_body_bytes, read_timeout_s)
        self.predict: ASGIApp = MethodAndMediaType(body)
        self.other: ASGIApp = JSONNotFound(app)
        routed = ReadinessReason(self._route, not_ready_reason)
        limited = HeaderLimits(routed, max_header_fields, max_header_field_bytes)
        self.guarded: ASGIApp = OneHost(limited)

    @property
    def in_flight(self) -> int:
        """Predict requests in progress."""
        return self.shedding.in_flight

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = self.predict if scope["path"] == contract.PREDICT_PATH else self.other
        await target(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.guarded(scope, receive, send)
