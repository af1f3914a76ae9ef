"""Regather on real servers: a few closed-loop callers share batches instead of taking turns."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
import urllib.request

import pytest

from harness.processes import Managed
from loadgen.probe import histogram_totals

pytestmark = pytest.mark.integration

# each batching target's histogram of requests per batch formed at its entry
BATCH_METRIC = {
    "bento": "scoring_entry_batch_size",
    "edge": "scoring_edge_batch_size",
    "bare": "scoring_bare_batch_size",
}


def _batch_totals(server: Managed, metric: str) -> tuple[float, float]:
    with urllib.request.urlopen(server.url + "/metrics", timeout=10) as answer:
        return histogram_totals(answer.read().decode(), metric)


def _closed_loop(server: Managed, callers: int, seconds: float) -> list[int]:
    """Callers that each send their next request when the last is answered; their statuses."""
    statuses: list[int] = []
    host = urllib.parse.urlsplit(server.url).netloc
    deadline = time.monotonic() + seconds

    def caller(n: int) -> None:
        time.sleep(0.02 * n)  # they start apart, as real callers do
        connection = http.client.HTTPConnection(host, timeout=10)
        while time.monotonic() < deadline:
            body = json.dumps({"entity_id": f"e{n:07d}"})
            connection.request("POST", "/predict", body, {"content-type": "application/json"})
            answer = connection.getresponse()
            answer.read()
            statuses.append(answer.status)
        connection.close()

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.parametrize("name", sorted(BATCH_METRIC))
def test_two_closed_loop_callers_share_batches(name: str, request: pytest.FixtureRequest) -> None:
    server: Managed = request.getfixturevalue(f"{name}_server")
    _closed_loop(server, 2, 1.0)  # warm: connections, and BentoML's dispatcher training
    before = _batch_totals(server, BATCH_METRIC[name])
    statuses = _closed_loop(server, 2, 4.0)
    after = _batch_totals(server, BATCH_METRIC[name])
    assert set(statuses) == {200}
    items, batches = after[0] - before[0], after[1] - before[1]
    # taking turns makes batches of 1; sharing, of 2 (a batch of 1 now and then
    # where a caller came back after the regather gap on this busy machine)
    assert items / batches >= 1.6, f"{items:.0f} requests in {batches:.0f} batches"
