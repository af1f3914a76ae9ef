"""SIGTERM during load: accepted requests finish, new ones are refused, nothing is left behind."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from harness.load import Answer, burst
from harness.processes import Managed, start_bento, start_sync

pytestmark = pytest.mark.integration


async def _terminate_under_load(
    server: Managed, after_s: float = 0.3
) -> tuple[list[Answer], list[int | str], float]:
    """The answers to a burst signalled after_s in, the statuses of 3 sent after, the wait."""
    # warm up first: a fresh adaptive batcher sheds a sudden burst (see README)
    await burst(server.url, 100)
    in_flight = asyncio.create_task(burst(server.url, 100))
    await asyncio.sleep(after_s)
    sent = time.monotonic()
    os.kill(server.pid, signal.SIGTERM)  # the server's own graceful path, not the group
    answered = await in_flight
    late = [a.status for a in await burst(server.url, 3)]
    await asyncio.to_thread(server.process.wait, 40)
    return answered, late, time.monotonic() - sent


def _statuses(answers: list[Answer]) -> list[int]:
    """The HTTP statuses (a refused or reset connection has none)."""
    return [a.status for a in answers if isinstance(a.status, int)]


def _not_ok(answers: list[Answer]) -> list[tuple[int | str, Any]]:
    """What every answer but a 200 was, with its body: the failure message."""
    return [(a.status, a.body) for a in answers if a.status != 200]


@pytest.mark.parametrize("kind", ["bento", "sync"])
def test_sigterm_during_load(kind: str, redis_server: Managed, log_dir: Path) -> None:
    start = start_bento if kind == "bento" else start_sync
    server = start(log_dir, redis_server.url)
    try:
        tree = [server.pid, *(p.pid for p in psutil.Process(server.pid).children(recursive=True))]
        answered, late, took_s = asyncio.run(_terminate_under_load(server))
        assert server.process.returncode == 0
        assert took_s < 30
        # every answer during shutdown is a full 200 or a refusal, never a 500: requests
        # the server had taken finish; those still connecting when the signal came
        # may be refused (gunicorn resets its listen backlog when it closes the socket)
        statuses = _statuses(answered)
        assert set(statuses) <= {200, 503}, _not_ok(answered)
        assert statuses.count(200) >= 5, _not_ok(answered)
        if kind == "bento":
            # what the entry took, it scores: its model services serve until its
            # calls stop (service/drain.py), though the arbiter signals them at once
            assert set(statuses) == {200}, _not_ok(answered)
        # new work is refused (the connection, or a 503 while the listener is still
        # closing) or, with several entry workers stopped one after the other, served
        # in full by a worker not yet stopped: never a 500
        assert all(isinstance(a, str) or a in (200, 503) for a in late), late
        if kind == "sync":
            assert all(isinstance(a, str) or a == 503 for a in late), late
        alive = [p for p in tree if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
        assert alive == []
    finally:
        server.stop()


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A temporary directory short enough to hold BentoML's Unix sockets (108 bytes a path)."""
    path = Path(tempfile.mkdtemp(prefix="uds-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_sigterm_as_a_burst_arrives_at_bento(
    redis_server: Managed, log_dir: Path, short_tmp: Path
) -> None:
    # the signal comes while the entry is still taking the burst, before it has
    # sent most of it on: the models, signalled too, must still serve what it took
    # (before service/drain.py, 100 of 100 answered 503 "model service unavailable"),
    # though the arbiter has deleted their sockets' directory (service/model_sockets.py)
    server = start_bento(log_dir, redis_server.url, env={"TMPDIR": str(short_tmp)})
    try:
        kept = list(short_tmp.glob("scoring-uds-*/*.sock"))
        assert sorted(p.name for p in kept) == ["ModelA.sock", "ModelB.sock"]
        answered = asyncio.run(_terminate_under_load(server, after_s=0.03))[0]
        assert server.process.returncode == 0
        statuses = _statuses(answered)
        assert statuses, _not_ok(
            answered
        )  # the entry took some: refused connections are not the test
        assert set(statuses) == {200}, _not_ok(answered)
        assert list(short_tmp.iterdir()) == []  # the links went with the entry
    finally:
        server.stop()


def test_a_stopped_sync_server_leaves_no_metrics_directory(
    redis_server: Managed, log_dir: Path, tmp_path: Path
) -> None:
    server = start_sync(log_dir, redis_server.url, workers=1, env={"TMPDIR": str(tmp_path)})
    made = list(tmp_path.glob("sync-baseline-metrics-*"))
    assert len(made) == 1  # its workers' shared metrics, while it serves
    assert server.stop() == 0
    assert not list(tmp_path.glob("sync-baseline-metrics-*"))
