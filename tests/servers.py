"""Helpers shared by the tests that start real servers (fixtures are in conftest.py)."""

from __future__ import annotations

import http.client
import math
import time
import urllib.parse
from collections.abc import Callable

import redis
import requests

from scoring import seed, vectors
from scoring.answers import scores_for
from scoring.settings import settings

TEST_ENTITIES = 2_000
_DIM = settings.feature_dim
# stored vectors a target must refuse, each with what its error says: id -> (value, problem)
BAD_ENTITIES: dict[str, tuple[bytes | None, str]] = {
    "bad-short": (
        vectors.encode_features([0.5] * (_DIM - 1)),
        f"{4 * _DIM - 4} bytes stored, {4 * _DIM} expected ({_DIM} float32)",
    ),
    "bad-nan": (vectors.encode_features([math.nan] * _DIM), "feature 0 is nan"),
    "bad-inf": (
        vectors.encode_features([0.5] * (_DIM - 1) + [math.inf]),
        f"feature {_DIM - 1} is inf",
    ),
    "bad-type": (None, "stored as a Redis hash, not a string"),
}
# a finite vector whose dot product is far past what math.exp takes
HUGE_ENTITY = ("huge", vectors.encode_features([3e38] * _DIM))


def seed_store(url: str) -> None:
    """Seed TEST_ENTITIES entities, the bad ones and the huge one into the server at url."""
    seed.seed_url(url, TEST_ENTITIES, settings.feature_dim)
    client = redis.Redis.from_url(url)
    try:
        for entity_id, (value, _) in BAD_ENTITIES.items():
            if value is None:  # a key of the wrong type
                client.hset(vectors.feature_key(entity_id), "a", "1")
            else:
                client.set(vectors.feature_key(entity_id), value)
        client.set(vectors.feature_key(HUGE_ENTITY[0]), HUGE_ENTITY[1])
    finally:
        client.close()


def assert_right_scores(url: str) -> None:
    """Seeded ids, the first, one more and the last, each answered 200 with its scores."""
    for index in (0, 7, TEST_ENTITIES - 1):
        entity_id = f"e{index:07d}"
        answer = requests.post(url + "/predict", json={"entity_id": entity_id}, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.json()["scores"] == scores_for(entity_id)


def wait_for(predicate: Callable[[], bool], timeout_s: float) -> float:
    """Wait until predicate() is true; return the seconds it took, or fail the test."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"not true within {timeout_s} s")


def answers_after_idle(url: str, idle_s: float) -> int:
    """POST twice on one keep-alive connection, idle_s apart; the second answer's status."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    body, headers = b'{"entity_id": "e0000001"}', {"Content-Type": "application/json"}
    try:
        connection.request("POST", "/predict", body, headers)
        first = connection.getresponse()
        first.read()
        assert first.status == 200 and first.getheader("Connection") != "close"
        time.sleep(idle_s)
        connection.request("POST", "/predict", body, headers)
        second = connection.getresponse()
        second.read()
        return second.status
    finally:
        connection.close()
