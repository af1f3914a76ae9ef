"""SIGTERM during load: accepted requests finish, new ones are refused, nothing is left behind."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import aiohttp
import psutil
import pytest

from harness.processes import Managed, start_bento, start_sync

pytestmark = pytest.mark.integration


async def _burst(url: str, count: int) -> list[int | str]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=count)) as session:

        async def one(index: int) -> int | str:
            try:
                body = {"entity_id": f"e{index:07d}"}
                async with session.post(f"{url}/predict", json=body) as answer:
                    await answer.read()
                    return answer.status
            except aiohttp.ClientError as exc:
                return type(exc).__name__

        return await asyncio.gather(*(one(i) for i in range(count)))


async def _terminate_under_load(server: Managed) -> tuple[list[int | str], list[int | str], float]:
    # warm up first: a fresh adaptive batcher sheds a sudden burst (see README)
    await _burst(server.url, 100)
    in_flight = asyncio.create_task(_burst(server.url, 100))
    await asyncio.sleep(0.3)
    sent = time.monotonic()
    os.kill(server.pid, signal.SIGTERM)  # the server's own graceful path, not the group
    answered = await in_flight
    late = await _burst(server.url, 3)
    await asyncio.to_thread(server.process.wait, 40)
    return answered, late, time.monotonic() - sent


@pytest.mark.parametrize("kind", ["bento", "sync"])
def test_sigterm_during_load(kind: str, redis_server: Managed, log_dir: Path) -> None:
    start = start_bento if kind == "bento" else start_sync
    server = start(log_dir, redis_server.url)
    try:
        tree = [server.pid, *(p.pid for p in psutil.Process(server.pid).children(recursive=True))]
        answered, late, took_s = asyncio.run(_terminate_under_load(server))
        assert server.process.returncode == 0
        assert took_s < 30
        # every HTTP answer given during shutdown is a full, correct one
        statuses = [a for a in answered if isinstance(a, int)]
        assert set(statuses) == {200}, answered
        if kind == "bento":
            assert len(statuses) == 100  # everything in flight was finished
        else:
            # gunicorn finishes what its workers accepted; connections still in the
            # listen backlog are reset when it closes the socket (see README)
            assert len(statuses) >= 5
        assert all(isinstance(a, str) for a in late), late  # new connections refused
        alive = [p for p in tree if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
        assert alive == []
    finally:
        server.stop()
