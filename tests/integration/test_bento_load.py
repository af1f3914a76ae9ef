"""The BentoML target batches under concurrency and answers 300 concurrent requests."""

from __future__ import annotations

import asyncio
import re

import pytest
import requests

from harness.load import burst, right_scores
from harness.processes import Managed

pytestmark = pytest.mark.integration


def _batch_size_mean(metrics_text: str, service: str) -> float:
    def value(suffix: str) -> float:
        labels = rf'\{{[^}}]*service_name="{service}"[^}}]*\}}'
        pattern = rf"^bentoml_service_adaptive_batch_size_{suffix}{labels} (\S+)$"
        return sum(float(v) for v in re.findall(pattern, metrics_text, re.MULTILINE))

    count = value("count")
    return value("sum") / count if count else 0.0


def test_concurrent_requests_are_batched(bento_server: Managed) -> None:
    asyncio.run(burst(bento_server.url, 100))
    metrics = requests.get(bento_server.url + "/metrics", timeout=10).text
    for service in ("ModelA", "ModelB"):
        assert _batch_size_mean(metrics, service) > 1


def test_300_concurrent_requests_give_no_5xx_and_right_answers(bento_server: Managed) -> None:
    answers = asyncio.run(burst(bento_server.url, 300))
    statuses = [a.status for a in answers]
    assert statuses.count(200) == 300, {s: statuses.count(s) for s in set(statuses)}
    for answer in answers[:50]:
        assert answer.body["scores"] == right_scores(answer.entity_id)
