"""BentoML edge-batching variant: the entry service batches requests itself, models in process.

One MGET and one call of each model per batch, and no hop to a model
service. Serve it with `bentoml serve service.edge:EdgeScorer`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import bentoml
import redis

from scoring import contract, features
from scoring.batcher import ContinuousBatcher, Overloaded
from scoring.models import SleepingModel
from scoring.settings import settings
from scoring.timing import Timer
from service import guard
from service.guard import error_response
from service.store import FeatureStoreClient


@dataclass(frozen=True)
class _Scored:
    found: bool
    score_a: float
    score_b: float
    redis_ms: float
    model_ms: float


@bentoml.service(name="EdgeScorer")
class EdgeScorer(FeatureStoreClient):
    """Score entities in batches formed at the edge: one MGET and one model call per batch."""

    # batches run one at a time, each on one connection; one more for readiness
    warm_connections = 2

    def __init__(self) -> None:
        super().__init__()
        self.model_a = SleepingModel("model_a", settings)
        self.model_b = SleepingModel("model_b", settings)
        self.batcher: ContinuousBatcher[str, _Scored] = ContinuousBatcher(
            self._score_batch, settings.max_batch_size, max_queue=settings.max_queue
        )
        self.batch_size = bentoml.metrics.Histogram(
            name="scoring_edge_batch_size",
            documentation="Requests per edge batch.",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
        )

    @bentoml.on_shutdown
    async def close_batcher(self) -> None:
        await self.batcher.close()

    async def _score_batch(self, entity_ids: Sequence[str]) -> list[_Scored]:
        self.batch_size.observe(len(entity_ids))
        started = time.perf_counter()
        vectors = await features.fetch_many_async(self.redis, entity_ids)
        fetched = time.perf_counter()
        known = [v for v in vectors if v is not None]
        scores_a, scores_b = await asyncio.gather(
            self.model_a.predict_batch_async(known), self.model_b.predict_batch_async(known)
        )
        redis_ms, model_ms = (fetched - started) * 1000, (time.perf_counter() - fetched) * 1000
        results, position = [], 0
        for vector in vectors:
            if vector is None:
                results.append(_Scored(False, 0.0, 0.0, redis_ms, model_ms))
            else:
                a, b = scores_a[position], scores_b[position]
                results.append(_Scored(True, a, b, redis_ms, model_ms))
                position += 1
        return results

    @bentoml.api(route=contract.PREDICT_PATH)
    async def predict(
        self, entity_id: contract.EntityId, ctx: bentoml.Context
    ) -> contract.PredictResponse:
        """Score one entity with model_a and model_b."""
        timer = Timer()
        try:
            scored, waited_ms = await asyncio.wait_for(
                self.batcher.submit(entity_id), settings.model_timeout_s
            )
        except Overloaded:
            return error_response(503, contract.error_body(contract.MODEL_OVERLOADED), ctx)
        except (redis.ConnectionError, redis.TimeoutError):
            return error_response(503, contract.error_body(contract.FEATURE_STORE_UNAVAILABLE), ctx)
        except TimeoutError:
            return error_response(504, contract.error_body(contract.MODEL_TIMEOUT), ctx)
        if not scored.found:
            return error_response(404, contract.unknown_entity_body(entity_id), ctx)
        timer.add("batch_wait", waited_ms)
        timer.add("redis", scored.redis_ms)
        timer.add("model", scored.model_ms)
        ctx.response.headers["Server-Timing"] = timer.header()
        return contract.build_response(entity_id, scored.score_a, scored.score_b)


guard.install(EdgeScorer)
