"""A store that cannot work stops every target at start; an unseeded one keeps it unready."""

from __future__ import annotations

import functools
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import requests

from harness.processes import ROOT, Managed, http_ready, start_bare, start_bento, start_sync
from harness.redis_server import start_redis
from scoring import contract, seed, vectors
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


@pytest.mark.parametrize("target", list(STARTERS))
def test_a_wrong_password_stops_the_server_with_one_line_and_no_secret(
    target: str, log_dir: Path, empty_store: Managed
) -> None:
    redis.Redis.from_url(empty_store.url).config_set("requirepass", "the-right-one")
    url = empty_store.url.replace("redis://", "redis://:a-wrong-one@")
    with pytest.raises(RuntimeError, match=EXITED_NON_ZERO) as raised:
        STARTERS[target](log_dir, url, timeout_s=60)
    log = str(raised.value)
    assert "refused the password" in log and "check the password in REDIS_URL" in log
    assert "a-wrong-one" not in log and "Traceback" not in log


def test_a_password_refused_while_serving_is_logged_as_such(
    log_dir: Path, empty_store: Managed
) -> None:
    url = empty_store.url.replace("redis://", "redis://:first@")
    admin = redis.Redis.from_url(empty_store.url)
    admin.config_set("requirepass", "first")
    admin = redis.Redis.from_url(url)
    seed_store(url)
    server = start_sync(log_dir, url, workers=1)
    try:
        admin.config_set("requirepass", "second")  # rotated under the server
        admin.client_kill_filter(_type="normal", skipme=True)
        for _ in range(3):
            answer = requests.post(server.url + "/predict", json={"entity_id": "e0000001"})
            assert (
                answer.status_code == 503
                and answer.json()["error"] == contract.FEATURE_STORE_UNAVAILABLE
            )
        ready = requests.get(server.url + "/readyz", timeout=5)
        assert ready.status_code == 503 and "refused the password" in ready.text
        time.sleep(0.5)
        log = server.log_path.read_text(errors="replace")
        assert log.count("refused the password: check the password in REDIS_URL") == 1
        assert "first" not in log and "second" not in log
    finally:
        server.stop()


def test_seeding_a_full_store_fails_with_one_line(empty_store: Managed) -> None:
    admin = redis.Redis.from_url(empty_store.url)
    admin.config_set("maxmemory", "1mb")
    admin.config_set("maxmemory-policy", "noeviction")
    done = subprocess.run(
        [str(ROOT / "scripts" / "seed.sh"), "--count", "20000"],
        env={**os.environ, "REDIS_URL": empty_store.url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"seeding {empty_store.url} failed: OutOfMemoryError: "
        "command not allowed when used memory > 'maxmemory'."
    ]


@pytest.mark.parametrize("target", list(STARTERS))
def test_a_lookup_the_store_refuses_answers_503_not_500(
    target: str, log_dir: Path, empty_store: Managed
) -> None:
    admin = redis.Redis.from_url(empty_store.url)
    admin.acl_setuser(
        "scorer", enabled=True, passwords=["+scorer-pw"], keys=["*"], commands=["+@all"]
    )
    url = empty_store.url.replace("redis://", "redis://scorer:scorer-pw@")
    seed_store(empty_store.url)
    server = STARTERS[target](log_dir, url)
    try:
        # an operator's ACL change while serving: lookups refused, not a client's mistake
        admin.acl_setuser("scorer", commands=["-get", "-mget"])
        answer = requests.post(server.url + "/predict", json={"entity_id": "e0000001"}, timeout=10)
        assert answer.status_code == 503, answer.text
        assert answer.json() == {"error": contract.FEATURE_STORE_REFUSED}
        assert answer.headers["Retry-After"] == str(contract.RETRY_AFTER_S)
        assert "Traceback" not in server.log_path.read_text(errors="replace")
    finally:
        server.stop()
