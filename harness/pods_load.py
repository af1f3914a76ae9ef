"""Load for harness.entry_pods: closed-loop callers, or Poisson arrivals, on several URLs."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import aiohttp

Send = Callable[[int], Awaitable[bool]]
Answers = tuple[list[float], int]  # the milliseconds of every 200, the count of other answers
Load = Callable[[], Coroutine[Any, Any, Answers]]  # one point's load, ready to run


def _sender(session: aiohttp.ClientSession, url: str) -> Send:
    async def send(sent: int) -> bool:
        body = {"entity_id": f"e{sent % 2000:07d}"}
        async with session.post(url + "/predict", json=body) as answer:
            await answer.read()
        return answer.status == 200

    return send


async def closed_loop(urls: list[str], callers: int, seconds: float) -> Answers:
    """Callers per URL, each sending its next request when the last is answered:
    (the milliseconds of every 200, the count of other answers)."""
    latencies: list[float] = []
    failed = 0
    stop = time.monotonic() + seconds

    async def caller(send: Send, first: int) -> None:
        nonlocal failed
        for sent in range(first, first + 1_000_000):
            if time.monotonic() >= stop:
                return
            started = time.perf_counter()
            if await send(sent):
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                failed += 1

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        senders = [_sender(session, url) for url in urls]
        await asyncio.gather(*(caller(s, 1000 * k) for s in senders for k in range(callers)))
    return latencies, failed


async def open_loop(urls: list[str], rate: float, seconds: float) -> Answers:
    """Poisson arrivals at `rate` per second in all, each to a URL in turn, each request's
    time counted from its scheduled send: (the milliseconds of every 200, other answers)."""
    latencies: list[float] = []
    failed = 0
    rng = random.Random(7)

    async def one(send: Send, sent: int, scheduled: float) -> None:
        nonlocal failed
        if await send(sent):
            latencies.append((time.perf_counter() - scheduled) * 1000)
        else:
            failed += 1

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        senders = [_sender(session, url) for url in urls]
        tasks = []
        scheduled = time.perf_counter()
        for sent in range(int(rate * seconds)):
            scheduled += rng.expovariate(rate)
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            send = senders[sent % len(senders)]
            tasks.append(asyncio.create_task(one(send, sent, scheduled)))
        await asyncio.gather(*tasks)
    return latencies, failed
