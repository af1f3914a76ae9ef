"""The design BentoML's docs show: each request makes its own hop to the model services.

Every request makes its own hop to ModelA and ModelB with a one-item list,
and the model services' adaptive batching merges the calls. Kept as a rung of
the comparison; the shipped entry (service/service.py) batches before the hop.
Serve it with `bentoml serve service.per_request:PerRequestScorer`.
"""

from __future__ import annotations

import asyncio
import time

import bentoml

from scoring import contract, redis_store
from scoring.settings import settings
from scoring.timing import Timer
from service import guard, runtime
from service.guard import error_response
from service.models import ModelInput, ModelOutput
from service.remote_models import RemoteModels
from service.store import FeatureStoreClient


@bentoml.service(name="PerRequestScorer", **runtime.ENTRY)
class PerRequestScorer(RemoteModels, FeatureStoreClient):
    """Fetch one entity's features from Redis and score them with both models."""

    async def _call_models(self, item: ModelInput) -> tuple[ModelOutput, ModelOutput]:
        """Both models' outputs for one item; a failure as the contract's exception."""
        out_a, out_b = await self.call_models([item])
        return out_a[0], out_b[0]

    @bentoml.api(route=contract.PREDICT_PATH)
    async def predict(
        self, entity_id: contract.EntityId, ctx: bentoml.Context
    ) -> contract.PredictResponse:
        """Score one entity with model_a and model_b."""
        timer = Timer()
        try:
            with timer.span("redis"):
                vector = await redis_store.fetch_features_async(
                    self.redis, entity_id, settings.feature_dim
                )
            if vector is None:
                return error_response(404, contract.unknown_entity_body(entity_id), ctx)
            item = ModelInput(features=vector, sent_at=time.time())
            called = time.perf_counter()
            a, b = await asyncio.wait_for(self._call_models(item), settings.model_timeout_s)
        except contract.ANSWERED as exc:
            answer = contract.answer_for(exc)
            return error_response(answer.status, answer.body, ctx)
        # the two calls overlap: attribute the slower one's wait and run
        queued_ms, model_ms = max(a.queued_ms, b.queued_ms), max(a.model_ms, b.model_ms)
        timer.add("batch_wait", queued_ms)
        timer.add("model", model_ms)
        timer.add("hop", (time.perf_counter() - called) * 1000 - queued_ms - model_ms)
        ctx.response.headers["Server-Timing"] = timer.header()
        return contract.build_response(entity_id, a.score, b.score)


guard.install(PerRequestScorer)
