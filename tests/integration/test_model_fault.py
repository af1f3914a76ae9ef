"""Killing a model service worker under load gives 503s, never 500s or hangs, then recovery."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import psutil
import pytest

from harness.load import Answer, closed_loop
from harness.processes import Managed, start_bento
from scoring import contract

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
