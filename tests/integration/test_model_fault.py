"""Killing a model service worker under load gives 503s, never 500s or hangs, then recovery."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import psutil
import pytest

from harness.load import Answer, closed_loop, post
from harness.processes import Managed, http_ready, start_bento
from scoring import contract
from tests.servers import wait_for

pytestmark = pytest.mark.integration


def _model_worker(server: Managed, service: str) -> psutil.Process:
    """Find the worker of one model service among this server's own children."""
    for child in psutil.Process(server.pid).children(recursive=True):
        args = child.cmdline()
        if "--service-name" in args and args[args.index("--service-name") + 1] == service:
            return child
    raise LookupError(f"no {service} worker under {server.pid}")


def test_killing_a_model_worker(redis_server: Managed, log_dir: Path) -> None:
    server = start_bento(log_dir, redis_server.url)
    try:
        asyncio.run(closed_loop([server.url], 20, 2))  # warm the batchers up
        victim = _model_worker(server, "ModelA")

        async def scenario() -> list[Answer]:
            load = asyncio.create_task(closed_loop([server.url], 20, 12))
            await asyncio.sleep(2)
            os.kill(victim.pid, signal.SIGKILL)
            return await load

        answers = asyncio.run(scenario())
        statuses = {a.status for a in answers}
        assert statuses <= {200, 503}, statuses
        # clients may see nothing at all: a call cut off by the kill is retried once on a
        # new connection, and a dead idle connection is dropped before reuse
        errors = {a.body["error"] for a in answers if a.status == 503}
        assert errors <= {contract.MODEL_UNAVAILABLE, contract.MODEL_OVERLOADED}
        assert max(a.seconds for a in answers) < 15  # no hang
        # the worker was restarted and the last answers are right again
        assert _model_worker(server, "ModelA").pid != victim.pid
        assert [a.status for a in answers[-50:]] == [200] * 50
    finally:
        server.stop()


async def _paced(url: str, rate: float, seconds: float) -> tuple[list[Answer], list[Probe]]:
    """POST predict at a fixed rate and GET /readyz once a second, for seconds."""
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def probe() -> Probe:
            sent = time.monotonic()
            async with session.get(url + "/readyz") as answer:
                return Probe(answer.status, await answer.text(), time.monotonic() - sent)

        posts, probes = [], []
        started = time.monotonic()
        for tick in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + tick / rate - time.monotonic()))
            posts.append(asyncio.create_task(post(session, url, f"e{tick % 100:07d}")))
            if tick % int(rate) == 0:
                probes.append(asyncio.create_task(probe()))
        return list(await asyncio.gather(*posts)), list(await asyncio.gather(*probes))


@dataclass(frozen=True)
class Probe:
    status: int
    text: str
    seconds: float


def _kill_every_respawn(server: Managed, service: str, until: float) -> int:
    """SIGKILL the service's worker whenever one is up, until the monotonic time until."""
    killed = 0
    while time.monotonic() < until:
        with contextlib.suppress(LookupError, psutil.Error):
            os.kill(_model_worker(server, service).pid, signal.SIGKILL)
            killed += 1
        time.sleep(0.05)
    return killed


def test_a_model_service_that_keeps_dying_gets_fast_503s_and_a_not_ready_reason(
    redis_server: Managed, log_dir: Path
) -> None:
    server = start_bento(log_dir, redis_server.url)
    try:
        asyncio.run(closed_loop([server.url], 5, 2))  # warm the batchers up
        killer = threading.Thread(
            target=_kill_every_respawn, args=(server, "ModelA", time.monotonic() + 20)
        )
        killer.start()
        answers, probes = asyncio.run(_paced(server.url, rate=5, seconds=20))
        killer.join()
        statuses = Counter(a.status for a in answers)
        assert set(statuses) <= {200, 503}, statuses  # no 504 after the model budget
        assert statuses[503] > len(answers) / 2, statuses
        assert {a.body["error"] for a in answers if a.status == 503} == {contract.MODEL_UNAVAILABLE}
        assert max(a.seconds for a in answers) < 2, sorted(a.seconds for a in answers)[-5:]
        assert max(p.seconds for p in probes) < 2, probes
        down = [p for p in probes if p.status == 503]
        assert len(down) >= len(probes) - 2, probes
        assert all(p.text.startswith("model service ModelA unavailable") for p in down), down
        # it stays up: ready again, and every answer right
        wait_for(functools.partial(http_ready, server.url + "/readyz"), 30)
        assert {a.status for a in asyncio.run(closed_loop([server.url], 5, 2))} == {200}
    finally:
        server.stop()
