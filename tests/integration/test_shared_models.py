"""The shared-model baseline: every gunicorn worker calls one copy of each model, serially."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from harness.load import burst
from harness.processes import Managed, start_sync
from scoring.settings import settings

pytestmark = pytest.mark.integration

WORKERS, REQUESTS = 6, 12


def _burst_seconds(server: Managed) -> float:
    asyncio.run(burst(server.url, WORKERS))  # every worker has its models and connections
    started = time.monotonic()
    answers = asyncio.run(burst(server.url, REQUESTS))
    assert {a.status for a in answers} == {200}
    return time.monotonic() - started


@pytest.mark.parametrize("shared", [True, False])
def test_one_copy_of_each_model_serialises_the_workers(
    shared: bool, redis_server: Managed, log_dir: Path, tmp_path: Path
) -> None:
    env = {"SYNC_SHARED_MODELS": str(shared).lower(), "TMPDIR": str(tmp_path)}
    server = start_sync(log_dir, redis_server.url, workers=WORKERS, env=env)
    try:
        elapsed = _burst_seconds(server)
    finally:
        server.stop()
    # one copy of model_a runs the 12 calls one after another: never under 12 sleeps
    serial_s = REQUESTS * settings.model_sleep_min_ms / 1000
    if shared:
        assert elapsed >= serial_s, elapsed
    else:  # a copy per worker: two rounds of 6 in parallel
        assert elapsed < serial_s, elapsed
    assert not list(tmp_path.glob("sync-baseline-*"))  # lock and metrics directories removed
