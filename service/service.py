"""BentoML target: an async scoring entry service and two batched model services."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

import aiohttp
import bentoml
import redis
from bentoml.exceptions import ServiceUnavailable
from pydantic import BaseModel

from scoring import contract, features
from scoring.batcher import ContinuousBatcher, Overloaded
from scoring.models import SleepingModel
from scoring.settings import settings
from scoring.timing import Timer
from service import guard
from service.guard import error_response
from service.store import FeatureStoreClient

logger = logging.getLogger(__name__)


class ModelInput(BaseModel):
    """One item of a model batch."""

    features: list[float]
    sent_at: float  # wall clock at the caller, to measure the wait for a batch


class ModelOutput(BaseModel):
    """One scored item, with where its time went inside the model service."""

    score: float
    queued_ms: float
    model_ms: float


# How a model service forms batches (SCORING_MODEL_BATCHER):
# - "adaptive": BentoML's adaptive batching, @bentoml.api(batchable=True) with
#   the knobs from settings (the shipped default);
# - "continuous": a plain API that feeds an in-process continuous batcher,
#   which never waits on purpose (see scoring/batcher.py);
# - "none": one request per model call.
# Every mode takes a list, so the entry service calls them all the same way.
_API_OPTIONS: dict[str, Any] = (
    {
        "batchable": True,
        "max_batch_size": settings.max_batch_size,
        "max_latency_ms": settings.max_latency_ms,
    }
    if settings.model_batcher == "adaptive"
    else {}
)


class _BatchedModel:
    """A model served behind a batching API: one sleep per batch, not per request."""

    name: str

    def __init__(self) -> None:
        self.model = SleepingModel(self.name, settings)
        self.batcher: ContinuousBatcher[ModelInput, ModelOutput] | None = None
        if settings.model_batcher == "continuous":
            self.batcher = ContinuousBatcher(
                self._score, settings.max_batch_size, settings.max_queue
            )
            # BentoML records adaptive batches itself; these it does not see
            self.batch_size = bentoml.metrics.Histogram(
                name="scoring_model_batch_size",
                documentation="Requests per continuous model batch.",
                labelnames=["model"],
                buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            )

    async def _score(self, items: Sequence[ModelInput]) -> list[ModelOutput]:
        if self.batcher is not None:
            self.batch_size.labels(model=self.name).observe(len(items))
        called = time.time()
        vectors = [item.features for item in items]
        scores, waited_s = await self.model.predict_batch_timed_async(vectors)
        # waiting for the (serial) model counts as waiting, not as model time
        started = called + waited_s
        model_ms = (time.time() - started) * 1000
        return [
            ModelOutput(score=value, queued_ms=(started - item.sent_at) * 1000, model_ms=model_ms)
            for item, value in zip(items, scores, strict=True)
        ]

    @bentoml.api(**_API_OPTIONS)
    async def predict(self, items: list[ModelInput]) -> list[ModelOutput]:
        """Score a batch of feature vectors."""
        if self.batcher is None:
            return await self._score(items)
        try:
            done = await asyncio.gather(*(self.batcher.submit(item) for item in items))
        except Overloaded as exc:
            raise ServiceUnavailable("process is overloaded") from exc
        return [output for output, _ in done]


@bentoml.service(name="ModelA")
class ModelA(_BatchedModel):
    name = "model_a"


@bentoml.service(name="ModelB")
class ModelB(_BatchedModel):
    name = "model_b"


@bentoml.service(name="Scorer")
class Scorer(FeatureStoreClient):
    """Fetch one entity's features from Redis and score them with both models."""

    model_a = bentoml.depends(ModelA)
    model_b = bentoml.depends(ModelB)

    @staticmethod
    async def _call_model(model: Any, item: ModelInput) -> list[ModelOutput]:
        try:
            result: list[ModelOutput] = await model.to_async.predict([item])
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            # the model server may close an idle keep-alive connection just as it
            # is reused; scoring is idempotent, so one retry on a new one is safe
            logger.warning("retrying a model call after %r", exc)
            result = await model.to_async.predict([item])
        return result

    @bentoml.api(route=contract.PREDICT_PATH)
    async def predict(
        self, entity_id: contract.EntityId, ctx: bentoml.Context
    ) -> contract.PredictResponse:
        """Score one entity with model_a and model_b."""
        timer = Timer()
        try:
            with timer.span("redis"):
                vector = await features.fetch_features_async(self.redis, entity_id)
        except (redis.ConnectionError, redis.TimeoutError):
            return error_response(503, contract.error_body(contract.FEATURE_STORE_UNAVAILABLE), ctx)
        if vector is None:
            return error_response(404, contract.unknown_entity_body(entity_id), ctx)

        item = ModelInput(features=vector, sent_at=time.time())
        called = time.perf_counter()
        try:
            out_a, out_b = await asyncio.wait_for(
                asyncio.gather(
                    self._call_model(self.model_a, item), self._call_model(self.model_b, item)
                ),
                settings.model_timeout_s,
            )
        except ServiceUnavailable:
            return error_response(503, contract.error_body(contract.MODEL_OVERLOADED), ctx)
        except TimeoutError:
            return error_response(504, contract.error_body(contract.MODEL_TIMEOUT), ctx)
        except (aiohttp.ClientError, bentoml.exceptions.BentoMLException) as exc:
            logger.warning("model call failed: %r", exc)
            return error_response(503, contract.error_body(contract.MODEL_UNAVAILABLE), ctx)

        a, b = out_a[0], out_b[0]
        # the two calls overlap: attribute the slower one's wait and run
        queued_ms, model_ms = max(a.queued_ms, b.queued_ms), max(a.model_ms, b.model_ms)
        timer.add("batch_wait", queued_ms)
        timer.add("model", model_ms)
        timer.add("hop", (time.perf_counter() - called) * 1000 - queued_ms - model_ms)
        ctx.response.headers["Server-Timing"] = timer.header()
        return contract.build_response(entity_id, a.score, b.score)


guard.install(Scorer)
