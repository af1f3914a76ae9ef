"""HTTP load for integration tests: a burst of concurrent requests, or a closed loop."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from scoring import contract, features


@dataclass(frozen=True)
class Answer:
    """One request's outcome: its status, or the client error that replaced it."""

    url: str
    entity_id: str
    seconds: float
    status: int | str  # the exception's name when no HTTP answer came
    body: Any


async def _post(session: aiohttp.ClientSession, url: str, index: int) -> Answer:
    entity_id = features.entity_id_for(index)
    sent = time.monotonic()
    try:
        async with session.post(url + contract.PREDICT_PATH, json={"entity_id": entity_id}) as r:
            body = await r.json(content_type=None)
            return Answer(url, entity_id, time.monotonic() - sent, r.status, body)
    except aiohttp.ClientError as exc:
        return Answer(url, entity_id, time.monotonic() - sent, type(exc).__name__, None)


async def burst(url: str, count: int) -> list[Answer]:
    """Send count requests at once, for entities 0..count-1."""
    connector = aiohttp.TCPConnector(limit=count)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=60)
    ) as session:
        return await asyncio.gather(*(_post(session, url, i) for i in range(count)))


async def closed_loop(urls: list[str], users: int, seconds: float) -> list[Answer]:
    """Run users per url, each sending its next request when the last is answered."""
    answers: list[Answer] = []
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def user(url: str, index: int) -> None:
            while time.monotonic() < deadline:
                answers.append(await _post(session, url, index))

        await asyncio.gather(*(user(u, i) for u in urls for i in range(users)))
    return answers
