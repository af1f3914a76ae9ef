"""The BentoML target batches under concurrency and answers 300 concurrent requests."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest
import requests

from harness.processes import Managed
from scoring import features
from scoring.models import expected_scores
from scoring.settings import settings

pytestmark = pytest.mark.integration


async def _burst(url: str, count: int) -> list[tuple[str, int, dict[str, object]]]:
    connector = aiohttp.TCPConnector(limit=count)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(index: int) -> tuple[str, int, dict[str, object]]:
            entity_id = features.entity_id_for(index % 2000)
            async with session.post(f"{url}/predict", json={"entity_id": entity_id}) as r:
                return entity_id, r.status, await r.json(content_type=None)

        return await asyncio.gather(*(one(i) for i in range(count)))


def _batch_size_mean(metrics_text: str, service: str) -> float:
    def value(suffix: str) -> float:
        labels = rf'\{{[^}}]*service_name="{service}"[^}}]*\}}'
        pattern = rf"^bentoml_service_adaptive_batch_size_{suffix}{labels} (\S+)$"
        return sum(float(v) for v in re.findall(pattern, metrics_text, re.MULTILINE))

    count = value("count")
    return value("sum") / count if count else 0.0


def test_concurrent_requests_are_batched(bento_server: Managed) -> None:
    asyncio.run(_burst(bento_server.url, 100))
    metrics = requests.get(bento_server.url + "/metrics", timeout=10).text
    for service in ("ModelA", "ModelB"):
        assert _batch_size_mean(metrics, service) > 1


def test_300_concurrent_requests_give_no_5xx_and_right_answers(bento_server: Managed) -> None:
    results = asyncio.run(_burst(bento_server.url, 300))
    statuses = [status for _, status, _ in results]
    assert statuses.count(200) == 300, {s: statuses.count(s) for s in set(statuses)}
    for entity_id, _, body in results[:50]:
        expected = expected_scores(features.make_features(entity_id, settings.feature_dim))
        assert body["scores"] == expected
