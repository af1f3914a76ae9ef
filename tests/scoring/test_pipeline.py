"""The batched pipeline: one MGET and one model call per batch, errors in the contract's terms."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import fakeredis
import pytest
import redis

from scoring import contract, vectors
from scoring.contract import ModelOverloaded, ModelUnavailable
from scoring.models import expected_scores
from scoring.pipeline import BatchedScoring, ModelScores
from scoring.settings import Settings
from scoring.vectors import Features

CONFIG = Settings(model_timeout_s=0.3, max_batch_size=8)


class FakeModels:
    """Score a batch as the real models would, after a delay, and record each batch."""

    def __init__(self, seconds: float = 0.02, error: Exception | None = None) -> None:
        self.seconds = seconds
        self.error = error
        self.batches: list[int] = []

    async def __call__(self, vectors: Sequence[Features]) -> ModelScores:
        self.batches.append(len(vectors))
        await asyncio.sleep(self.seconds)
        if self.error is not None:
            raise self.error
        scores = [expected_scores(v) for v in vectors]
        return ModelScores([s["model_a"] for s in scores], [s["model_b"] for s in scores])


@pytest.fixture
async def store() -> AsyncIterator[fakeredis.aioredis.FakeRedis]:
    client = fakeredis.aioredis.FakeRedis()
    for index in range(20):
        entity_id = vectors.entity_id_for(index)
        raw = vectors.encode_features(vectors.make_features(entity_id, CONFIG.feature_dim))
        await client.set(vectors.feature_key(entity_id), raw)
    yield client
    await client.aclose()


async def test_concurrent_requests_share_batches_and_get_their_own_scores(
    store: fakeredis.aioredis.FakeRedis,
) -> None:
    models = FakeModels()
    scoring = BatchedScoring(store, models, CONFIG)
    ids = [vectors.entity_id_for(i) if i % 4 else f"ghost-{i}" for i in range(20)]
    outcomes = await asyncio.gather(*(scoring.answer(e) for e in ids))
    for entity_id, outcome in zip(ids, outcomes, strict=True):
        if entity_id.startswith("ghost"):
            assert (outcome.status, outcome.body) == (404, contract.unknown_entity_body(entity_id))
        else:
            expected = expected_scores(vectors.make_features(entity_id, CONFIG.feature_dim))
            assert outcome.status == 200 and outcome.response is not None
            assert outcome.response.scores.model_dump() == expected
            assert "batch_wait" in (outcome.server_timing or "")
    # unknown ids never reach the models; batches hold at most max_batch_size requests
    assert sum(models.batches) == 15
    assert len(models.batches) < 15 and max(models.batches) <= CONFIG.max_batch_size
    await scoring.close()


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (ModelUnavailable(), 503, contract.MODEL_UNAVAILABLE),
        (ModelOverloaded(), 503, contract.MODEL_OVERLOADED),
        (redis.ConnectionError(), 503, contract.FEATURE_STORE_UNAVAILABLE),
    ],
)
async def test_a_failed_batch_answers_each_of_its_requests_in_the_contract(
    store: fakeredis.aioredis.FakeRedis, error: Exception, status: int, message: str
) -> None:
    scoring = BatchedScoring(store, FakeModels(error=error), CONFIG)
    outcomes = await asyncio.gather(*(scoring.answer(vectors.entity_id_for(i)) for i in range(6)))
    assert {(o.status, o.body["error"]) for o in outcomes} == {(status, message)}
    assert all(o.headers == {"Retry-After": str(contract.RETRY_AFTER_S)} for o in outcomes)
    await scoring.close()


async def test_a_batch_over_the_budget_answers_504_and_later_batches_still_run(
    store: fakeredis.aioredis.FakeRedis,
) -> None:
    models = FakeModels(seconds=1.0)
    scoring = BatchedScoring(store, models, CONFIG)
    outcomes = await asyncio.gather(*(scoring.answer(vectors.entity_id_for(i)) for i in range(4)))
    assert {o.status for o in outcomes} == {504}
    models.seconds = 0.0
    assert (await scoring.answer(vectors.entity_id_for(1))).status == 200
    await scoring.close()
