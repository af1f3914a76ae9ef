"""Far beyond capacity, both targets shed with 503 and Retry-After instead of collapsing."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from harness.ladder import SHIPPED_ENTRY_WORKERS
from harness.load import Answer, burst
from harness.processes import Managed, http_ready, running, start_bento, start_sync
from harness.redis_server import start_redis
from scoring import contract
from scoring.answers import scores_for
from scoring.settings import settings
from tests.servers import seed_store

pytestmark = pytest.mark.integration

# seconds the sync baseline's 2 workers would need to serve its whole burst in turn
SYNC_WORKERS, SYNC_BURST = 2, 400
SYNC_SERIAL_S = SYNC_BURST * 0.090 / SYNC_WORKERS
BENTO_BURST = 1500


@pytest.fixture(scope="module")
def shedding_sync(log_dir: Path, redis_server: Managed) -> Iterator[Managed]:
    server = start_sync(
        log_dir, redis_server.url, workers=SYNC_WORKERS, env={"SYNC_QUEUE_TIMEOUT_MS": "500"}
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fresh_bento(log_dir: Path) -> Iterator[tuple[Managed, Managed]]:
    """A server and a Redis of their own: the burst leaves the shared ones undisturbed."""
    store = start_redis(log_dir)
    try:
        seed_store(store.url)
        with running(start_bento(log_dir, store.url)) as server:
            yield server, store
    finally:
        store.stop()


def test_the_entry_opens_its_redis_connections_at_startup(
    fresh_bento: tuple[Managed, Managed],
) -> None:
    _, store = fresh_bento
    clients = redis.Redis.from_url(store.url).info("clients")["connected_clients"]
    # each batch a worker may have out holds one connection, and one more for
    # readiness: a few connections, opened before the first request, not one per
    # request; ready means one worker is, the other may still be starting, and a
    # readiness probe may open one more
    per_worker = settings.batches_in_flight + 1  # the shipped Scorer's batches out
    assert per_worker <= clients - 1 <= SHIPPED_ENTRY_WORKERS * (per_worker + 1), clients


def _check_answers(answers: list[Answer], *shed_messages: str) -> Counter[int | str]:
    """Every answer is a right score or the contract's 503; return the statuses counted."""
    statuses = Counter(a.status for a in answers)
    assert set(statuses) <= {200, 503}, statuses
    for answer in answers:
        if answer.status == 200:
            assert answer.body["scores"] == scores_for(answer.entity_id)
        else:
            assert answer.body["error"] in shed_messages
            assert answer.body == contract.error_body(answer.body["error"])
            assert answer.retry_after == str(contract.RETRY_AFTER_S)
    return statuses


def _recovered(server: Managed) -> None:
    assert http_ready(server.url + "/readyz")
    answer = requests.post(
        server.url + contract.PREDICT_PATH, json={"entity_id": "e0000001"}, timeout=10
    )
    assert answer.status_code == 200
    assert answer.json()["scores"] == scores_for("e0000001")


def test_sync_sheds_requests_that_waited_too_long_for_a_worker(shedding_sync: Managed) -> None:
    answers = asyncio.run(burst(shedding_sync.url, SYNC_BURST))
    statuses = _check_answers(answers, contract.SERVER_OVERLOADED)
    # both outcomes happened: the workers kept serving and shed the rest
    assert statuses[200] > 0 and statuses[503] > 0, statuses
    # shed answers are fast, so the burst ends long before the workers could serve it all
    slowest = max(a.seconds for a in answers)
    assert slowest < SYNC_SERIAL_S / 2, (slowest, statuses)
    _recovered(shedding_sync)


def test_bento_sheds_a_burst_far_beyond_capacity(fresh_bento: tuple[Managed, Managed]) -> None:
    server, _ = fresh_bento
    answers = asyncio.run(burst(server.url, BENTO_BURST))
    # the entry sheds past SCORING_MAX_IN_FLIGHT; the model services may shed too
    statuses = _check_answers(answers, contract.SERVER_OVERLOADED, contract.MODEL_OVERLOADED)
    # without the entry's shedding, all 1500 were answered 200, the last after
    # about 6 s; without a warm pool, some as 503 "feature store unavailable" when
    # hundreds of new Redis connections missed their 0.5 s connect timeout
    assert statuses[200] > 0 and statuses[503] > 0, statuses
    slowest = max(a.seconds for a in answers)
    assert slowest < 10, (slowest, statuses)
    _recovered(server)
