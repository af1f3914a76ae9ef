"""A store that cannot work stops every target at start; an unseeded one keeps it unready."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import requests

from harness.processes import Managed, http_ready, start_bare, start_bento, start_sync
from harness.redis_server import start_redis
from scoring import seed, vectors
from scoring.settings import settings
from tests.servers import seed_store, wait_for

pytestmark = pytest.mark.integration

# a fatal configuration is a failure to supervisors and CI: never status 0
EXITED_NON_ZERO = r"exited with [1-9][0-9]*:"
Start = Callable[..., Managed]
STARTERS: dict[str, Start] = {
    "bento": start_bento,
    "bare": start_bare,
    "sync": functools.partial(start_sync, workers=1),
}


@pytest.fixture
def empty_store(log_dir: Path) -> Iterator[Managed]:
    store = start_redis(log_dir)
    yield store
    store.stop()


@pytest.mark.parametrize("target", list(STARTERS))
def test_a_database_index_out_of_range_stops_the_server_with_one_line(
    target: str, log_dir: Path, empty_store: Managed
) -> None:
    url = empty_store.url.rsplit("/", 1)[0] + "/99"  # redis-server has 16 databases
    with pytest.raises(RuntimeError, match=EXITED_NON_ZERO) as raised:
        STARTERS[target](log_dir, url, timeout_s=60)
    log = str(raised.value)
    assert "DB index is out of range (check the database index in REDIS_URL)" in log
    assert "Traceback" not in log


@pytest.mark.parametrize("target", list(STARTERS))
def test_a_store_seeded_with_another_dimension_stops_the_server(
    target: str, log_dir: Path, empty_store: Managed
) -> None:
    seed.seed_url(empty_store.url, 10, settings.feature_dim // 2)
    with pytest.raises(RuntimeError, match=EXITED_NON_ZERO) as raised:
        STARTERS[target](log_dir, empty_store.url, timeout_s=60)
    log = str(raised.value)
    assert f"set SCORING_FEATURE_DIM={settings.feature_dim // 2} or reseed the store" in log
    assert "Traceback" not in log


@pytest.mark.parametrize("target", list(STARTERS))
def test_an_unseeded_store_keeps_readiness_false_with_the_reason(
    target: str, log_dir: Path, empty_store: Managed
) -> None:
    server = STARTERS[target](log_dir, empty_store.url, ready_path="/livez")
    try:
        answer = requests.get(server.url + "/readyz", timeout=5)
        assert answer.status_code == 503
        assert answer.text.startswith("feature store not seeded")
        seed_store(empty_store.url)
        wait_for(functools.partial(http_ready, server.url + "/readyz"), 10)
        # reseeded with another dimension while serving: unready again, saying what to change
        client = redis.Redis.from_url(empty_store.url)
        client.hset(vectors.META_KEY, "feature_dim", 3)
        client.close()
        answer = requests.get(server.url + "/readyz", timeout=5)
        assert answer.status_code == 503
        assert "set SCORING_FEATURE_DIM=3" in answer.text
    finally:
        server.stop()
