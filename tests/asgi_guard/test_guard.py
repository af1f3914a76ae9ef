"""The ASGI guard in process, in front of a stub app: what it answers and what it passes on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from asgi_guard import RequestGuard
from scoring import contract
from scoring.settings import settings

LIMIT = 256


class Stub:
    """Reads the whole body, then answers 200 with its length; counts the calls it got."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await self.release.wait()
        payload = json.dumps({"read": len(body)}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _client(stub: Stub, max_in_flight: int = 10) -> httpx.AsyncClient:
    guard = RequestGuard(
        stub,
        max_body_bytes=LIMIT,
        max_in_flight=max_in_flight,
        read_timeout_s=settings.request_read_timeout_s,
        max_header_fields=settings.max_header_fields,
        max_header_field_bytes=settings.max_header_field_bytes,
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=guard), base_url="http://t")


async def test_a_valid_request_reaches_the_app() -> None:
    stub = Stub()
    async with _client(stub) as client:
        answer = await client.post(contract.PREDICT_PATH, json={"entity_id": "e1"})
    assert answer.status_code == 200
    assert stub.calls == 1


# a literal data table (fmt: skip below): one row a line, which the formatter would split
@pytest.mark.parametrize(
    ("method", "headers", "body", "status", "message"),
    [
        ("GET", {}, None, 405, contract.METHOD_NOT_ALLOWED),
        ("POST", {"content-type": "text/plain"}, b"{}", 415, contract.UNSUPPORTED_MEDIA_TYPE),
        ("POST", {"content-type": "application/json"}, b" " * (LIMIT + 1), 413,
         contract.body_too_large_message(LIMIT)),
    ],
)  # fmt: skip
async def test_the_guard_answers_without_calling_the_app(
    method: str, headers: dict[str, str], body: bytes | None, status: int, message: str
) -> None:
    stub = Stub()
    async with _client(stub) as client:
        answer = await client.request(method, contract.PREDICT_PATH, headers=headers, content=body)
    assert answer.status_code == status
    assert answer.json() == contract.error_body(message)
    assert stub.calls == 0
    assert ("allow" in answer.headers) is (status == 405)
    assert "retry-after" not in answer.headers


async def test_a_chunked_body_past_the_limit_is_413_not_what_the_app_makes_of_it() -> None:
    async def chunked() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b" " * (LIMIT // 2)

    stub = Stub()
    async with _client(stub) as client:
        answer = await client.post(
            contract.PREDICT_PATH, headers={"content-type": "application/json"}, content=chunked()
        )
    assert answer.status_code == 413
    assert answer.json() == contract.error_body(contract.body_too_large_message(LIMIT))


async def test_past_max_in_flight_it_sheds_with_retry_after_and_recovers() -> None:
    stub = Stub()
    stub.release.clear()
    async with _client(stub, max_in_flight=2) as client:
        held = [
            asyncio.create_task(client.post(contract.PREDICT_PATH, json={"entity_id": "e1"}))
            for _ in range(2)
        ]
        while stub.calls < 2:
            await asyncio.sleep(0.001)
        shed = await client.post(contract.PREDICT_PATH, json={"entity_id": "e1"})
        stub.release.set()
        assert [a.status_code for a in await asyncio.gather(*held)] == [200, 200]
        again = await client.post(contract.PREDICT_PATH, json={"entity_id": "e1"})
    assert shed.status_code == 503
    assert shed.json() == contract.error_body(contract.SERVER_OVERLOADED)
    assert shed.headers["retry-after"] == str(contract.RETRY_AFTER_S)
    assert again.status_code == 200


async def test_other_paths_pass_through_unguarded() -> None:
    stub = Stub()
    async with _client(stub, max_in_flight=0) as client:
        answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert stub.calls == 1
