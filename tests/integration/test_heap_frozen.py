"""Every server's workers froze their start-up heap, read from the running servers' logs
(scoring/heap.py says why; each worker logs one line naming itself)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from harness.processes import Managed
from tests.servers import wait_for

pytestmark = pytest.mark.integration
_FROZE = re.compile(r"froze (\d+) start-up objects out of the collector's walk \((.+?)\)")


def _frozen(server: Managed) -> Counter[str]:
    """How many objects each named worker froze, by name (worker pids folded into one)."""
    counts: Counter[str] = Counter()
    for count, owner in _FROZE.findall(server.log_path.read_text(errors="replace")):
        counts[re.sub(r" \d+$", "", owner)] = max(counts[re.sub(r" \d+$", "", owner)], int(count))
    return counts


def _froze_lines(server: Managed) -> list[str]:
    return [owner for _, owner in _FROZE.findall(server.log_path.read_text(errors="replace"))]


def test_the_bentoml_entry_and_model_workers_froze(bento_server: Managed) -> None:
    wait_for(lambda: {"Scorer", "ModelA", "ModelB"} <= set(_frozen(bento_server)), 30)
    # a worker's start-up heap is imports and the app: tens of thousands of objects
    assert min(_frozen(bento_server).values()) > 10_000


def test_every_gunicorn_worker_froze(sync_server: Managed) -> None:
    wait_for(lambda: len(set(_froze_lines(sync_server))) >= 3, 30)  # the fixture's 3 workers
    assert _frozen(sync_server)["gunicorn worker"] > 10_000


def test_the_bare_server_froze(bare_server: Managed) -> None:
    wait_for(lambda: "bare" in _frozen(bare_server), 30)
