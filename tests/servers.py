"""Helpers shared by the tests that start real servers (fixtures are in conftest.py)."""

from __future__ import annotations

import time
from collections.abc import Callable

from scoring import features
from scoring.settings import settings

TEST_ENTITIES = 2_000


def seed_store(url: str) -> None:
    """Seed the first TEST_ENTITIES entities into the server at url."""
    features.seed_url(url, TEST_ENTITIES, settings.feature_dim)


def wait_for(predicate: Callable[[], bool], timeout_s: float) -> float:
    """Wait until predicate() is true; return the seconds it took, or fail the test."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"not true within {timeout_s} s")
