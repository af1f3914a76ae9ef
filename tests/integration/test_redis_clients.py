"""The feature store's clients against a real Redis: restarts, and sockets closed on close."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psutil
import pytest

from harness.processes import Managed, free_port
from harness.redis_server import start_redis
from scoring import redis_store
from scoring.settings import settings

pytestmark = pytest.mark.integration


def _sockets_to(port: int) -> int:
    return sum(
        1
        for c in psutil.Process().net_connections(kind="tcp")
        if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
    )


def test_closing_a_client_closes_its_pooled_sockets(redis_server: Managed) -> None:
    port = int(redis_server.url.rsplit(":", 1)[1].split("/")[0])
    config = redis_store.settings_for(redis_server.url, settings)
    before = _sockets_to(port)
    sync_client = redis_store.sync_client(config)
    async_client = redis_store.async_client(config)

    async def use_and_close() -> int:
        assert await redis_store.warm_pool(async_client, 3) == 3
        assert sync_client.ping()
        opened = _sockets_to(port) - before
        await async_client.aclose()
        sync_client.close()
        return opened

    assert asyncio.run(use_and_close()) == 4
    assert _sockets_to(port) == before


def test_pooled_connections_survive_a_redis_restart(log_dir: Path) -> None:
    """The first command after a restart succeeds on both clients' idle connections.

    redis-py 8 skips its dead-connection check while maintenance notifications
    are on; each idle connection then failed one command after a restart.
    """
    port = free_port()
    store = start_redis(log_dir, port=port)
    config = redis_store.settings_for(store.url, settings)
    sync_client = redis_store.sync_client(config)
    async_client = redis_store.async_client(config)

    async def warm() -> int:
        return await redis_store.warm_pool(async_client, 2)

    async def ping_twice() -> list[bool]:
        return [bool(await async_client.ping()) for _ in range(2)]

    try:
        loop = asyncio.new_event_loop()
        assert loop.run_until_complete(warm()) == 2
        assert sync_client.ping()
        store.stop()
        store = start_redis(log_dir, port=port)
        loop.run_until_complete(asyncio.sleep(0.2))  # the loop sees the old sockets close
        assert sync_client.ping()
        assert loop.run_until_complete(ping_twice()) == [True, True]
        loop.run_until_complete(async_client.aclose())
        loop.close()
        sync_client.close()
    finally:
        store.stop()
