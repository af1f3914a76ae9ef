"""BentoML target: an async scoring entry service and two batched model services."""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

import aiohttp
import bentoml
import redis
from bentoml.exceptions import ServiceUnavailable
from pydantic import BaseModel
from starlette.responses import JSONResponse

from scoring import contract, features
from scoring.models import SleepingModel
from scoring.settings import settings
from scoring.timing import Timer
from service.guard import RequestGuard


class ModelInput(BaseModel):
    """One item of a model batch."""

    features: list[float]
    sent_at: float  # wall clock at the caller, to measure the wait for a batch


class ModelOutput(BaseModel):
    """One scored item, with where its time went inside the model service."""

    score: float
    queued_ms: float
    model_ms: float


class _BatchedModel:
    """A model served with adaptive batching: one sleep per batch, not per request."""

    name: str

    def __init__(self) -> None:
        self.model = SleepingModel(self.name, settings)

    @bentoml.api(
        batchable=True,
        max_batch_size=settings.max_batch_size,
        max_latency_ms=settings.max_latency_ms,
    )
    async def predict(self, items: list[ModelInput]) -> list[ModelOutput]:
        """Score a batch of feature vectors."""
        started = time.time()
        scores = await self.model.predict_batch_async([item.features for item in items])
        model_ms = (time.time() - started) * 1000
        return [
            ModelOutput(score=value, queued_ms=(started - item.sent_at) * 1000, model_ms=model_ms)
            for item, value in zip(items, scores, strict=True)
        ]


@bentoml.service(name="ModelA")
class ModelA(_BatchedModel):
    name = "model_a"


@bentoml.service(name="ModelB")
class ModelB(_BatchedModel):
    name = "model_b"


def _error(status: int, body: dict[str, Any], ctx: bentoml.Context) -> contract.PredictResponse:
    # BentoML copies ctx.response onto whatever the API returns, so set both
    ctx.response.status_code = status
    if status == 503:
        ctx.response.headers["Retry-After"] = str(contract.RETRY_AFTER_S)
    # BentoML sends a Response back as is; the API's declared type stays the
    # schema of a 200 answer, which is what its OpenAPI document shows
    return cast(contract.PredictResponse, JSONResponse(body, status_code=status))


@bentoml.service(name="Scorer")
class Scorer:
    """Fetch one entity's features from Redis and score them with both models."""

    model_a = bentoml.depends(ModelA)
    model_b = bentoml.depends(ModelB)

    def __init__(self) -> None:
        self.redis = features.async_client(settings)

    @bentoml.on_shutdown
    async def close_redis(self) -> None:
        await self.redis.aclose()

    async def __is_ready__(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except (redis.ConnectionError, redis.TimeoutError):
            return False

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
            return _error(503, contract.error_body(contract.FEATURE_STORE_UNAVAILABLE), ctx)
        if vector is None:
            return _error(404, contract.unknown_entity_body(entity_id), ctx)

        item = ModelInput(features=vector, sent_at=time.time())
        called = time.perf_counter()
        try:
            out_a, out_b = await asyncio.gather(
                self.model_a.to_async.predict([item]),
                self.model_b.to_async.predict([item]),
            )
        except ServiceUnavailable:
            return _error(503, contract.error_body(contract.MODEL_OVERLOADED), ctx)
        except TimeoutError:
            return _error(504, contract.error_body(contract.MODEL_TIMEOUT), ctx)
        except (aiohttp.ClientError, bentoml.exceptions.BentoMLException):
            return _error(503, contract.error_body(contract.MODEL_UNAVAILABLE), ctx)

        a, b = out_a[0], out_b[0]
        # the two calls overlap: attribute the slower one's wait and run
        queued_ms, model_ms = max(a.queued_ms, b.queued_ms), max(a.model_ms, b.model_ms)
        timer.add("batch_wait", queued_ms)
        timer.add("model", model_ms)
        timer.add("hop", (time.perf_counter() - called) * 1000 - queued_ms - model_ms)
        ctx.response.headers["Server-Timing"] = timer.header()
        return contract.build_response(entity_id, a.score, b.score)


# @bentoml.service turned the class into a bentoml.Service
Scorer.add_asgi_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)  # type: ignore[attr-defined]
