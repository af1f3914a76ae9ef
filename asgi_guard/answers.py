"""Answers in the contract's shape, sent with Starlette's response classes."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import Receive, Scope, Send

from scoring import contract


async def send_json(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    payload: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> None:
    """Send a JSON answer with the contract's headers for its status (Retry-After on 503)."""
    response = JSONResponse(
        payload, status_code=status, headers={**contract.error_headers(status), **(headers or {})}
    )
    await response(scope, receive, send)


async def send_error(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
) -> None:
    """Send the contract's error body {"error": message}."""
    await send_json(scope, receive, send, status, contract.error_body(message), headers)


async def send_text(scope: Scope, receive: Receive, send: Send, status: int, text: str) -> None:
    """Send a plain-text answer (the readiness reason)."""
    await PlainTextResponse(text, status_code=status)(scope, receive, send)
