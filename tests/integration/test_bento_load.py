"""The shipped BentoML target batches before the hop, and answers every request of a batch right."""

from __future__ import annotations

import asyncio

import pytest
import requests

from harness.load import burst
from harness.processes import Managed
from loadgen.probe import histogram_totals
from scoring import vectors
from scoring.answers import scores_for

pytestmark = pytest.mark.integration


def test_a_burst_is_batched_before_the_hop(bento_server: Managed) -> None:
    def read() -> dict[str, tuple[float, float]]:
        text = requests.get(bento_server.url + "/metrics", timeout=10).text
        return {
            "entry": histogram_totals(text, "scoring_entry_batch_size"),
            "model": histogram_totals(text, "scoring_model_batch_size", {"model": "model_a"}),
        }

    before = read()
    answers = asyncio.run(burst(bento_server.url, 200))
    after = read()
    assert [a.status for a in answers] == [200] * 200
    requests_seen, batches = (after["entry"][i] - before["entry"][i] for i in (0, 1))
    items, model_calls = (after["model"][i] - before["model"][i] for i in (0, 1))
    assert requests_seen == 200, (before, after)
    # one model call per batch of many requests, not one per request
    assert batches <= 20, batches
    assert items == 200
    assert model_calls <= batches


def test_a_burst_mixing_known_and_unknown_ids_answers_each_right(bento_server: Managed) -> None:
    ids = [
        vectors.entity_id_for(i) if i % 3 else f"ghost-{i}"
        for i in range(300)  # one in three unknown, spread through every batch
    ]
    answers = asyncio.run(burst(bento_server.url, len(ids), ids))
    assert [a.entity_id for a in answers] == ids
    for answer in answers:
        if answer.entity_id.startswith("ghost-"):
            assert answer.status == 404
            assert answer.body == {"error": f"unknown entity_id: {answer.entity_id!r}"}
        else:
            assert answer.status == 200, answer
            assert answer.body["entity_id"] == answer.entity_id
            assert answer.body["scores"] == scores_for(answer.entity_id)


def test_300_concurrent_requests_give_no_5xx_and_right_answers(bento_server: Managed) -> None:
    answers = asyncio.run(burst(bento_server.url, 300))
    statuses = [a.status for a in answers]
    assert statuses.count(200) == 300, {s: statuses.count(s) for s in set(statuses)}
    for answer in answers:
        assert answer.body["scores"] == scores_for(answer.entity_id)
