"""A model call over its budget: both targets answer 504 in the contract's shape, on time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness.load import burst
from harness.processes import Managed, http_ready, start_bento, start_sync
from scoring import contract

pytestmark = pytest.mark.integration

BUDGET_S = 0.5
SLOW_MODEL = {
    # each model call takes 2 s, four times the budget
    "SCORING_MODEL_SLEEP_MIN_MS": "2000",
    "SCORING_MODEL_SLEEP_MAX_MS": "2000",
    "SCORING_MODEL_TIMEOUT_S": str(BUDGET_S),
    # so that the adaptive batcher queues the call instead of shedding it
    "SCORING_MAX_LATENCY_MS": "60000",
}


@pytest.fixture(scope="module")
def slow_targets(log_dir: Path, redis_server: Managed) -> Iterator[list[Managed]]:
    url = redis_server.url
    servers = []
    try:
        servers.append(start_bento(log_dir, url, env=SLOW_MODEL))
        servers.append(start_bento(log_dir, url, env=SLOW_MODEL, service="service.edge:EdgeScorer"))
        servers.append(start_sync(log_dir, url, workers=2, env=SLOW_MODEL))
        servers.append(
            start_sync(log_dir, url, workers=2, env={**SLOW_MODEL, "SYNC_PARALLEL_MODELS": "1"})
        )
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.mark.parametrize("index", range(4), ids=["bento", "edge", "sync-seq", "sync-par"])
def test_a_slow_model_gives_504_at_the_budget(slow_targets: list[Managed], index: int) -> None:
    server = slow_targets[index]
    started = time.monotonic()
    answer = requests.post(
        server.url + contract.PREDICT_PATH, json={"entity_id": "e0000001"}, timeout=10
    )
    elapsed = time.monotonic() - started
    assert answer.status_code == 504, answer.text
    assert answer.content == contract.encode_json(contract.error_body(contract.MODEL_TIMEOUT))
    # at the budget, not after the 2 s (or, one model after the other, 4 s) of model time
    assert BUDGET_S <= elapsed < 1.5, elapsed
    assert http_ready(server.url + "/readyz")


@pytest.mark.parametrize("index", range(2), ids=["bento", "edge"])
def test_a_slow_model_gives_504_to_every_request_of_a_batch(
    slow_targets: list[Managed], index: int
) -> None:
    server = slow_targets[index]
    started = time.monotonic()
    answers = asyncio.run(burst(server.url, 30))
    elapsed = time.monotonic() - started
    body = contract.error_body(contract.MODEL_TIMEOUT)
    assert [(a.status, a.body) for a in answers] == [(504, body)] * 30
    assert max(a.seconds for a in answers) < 1.5, elapsed
    assert http_ready(server.url + "/readyz")
