"""The design BentoML's docs show: each request makes its own hop to the model services.

Every request makes its own hop to ModelA and ModelB with a one-item list,
and the model services' adaptive batching merges the calls. Kept as a rung of
the comparison; the shipped entry (service/service.py) batches before the hop.
Serve it with `bentoml serve service.per_request:PerRequestScorer`.
"""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
import bentoml
import redis
from bentoml.exceptions import ServiceUnavailable

from scoring import contract, features
from scoring.settings import settings
from scoring.timing import Timer
from service import guard, runtime
from service.guard import error_response
from service.models import ModelA, ModelB, ModelInput, call_model
from service.store import FeatureStoreClient

logger = logging.getLogger(__name__)


@bentoml.service(name="PerRequestScorer", **runtime.ENTRY)
class PerRequestScorer(FeatureStoreClient):
    """Fetch one entity's features from Redis and score them with both models."""

    model_a = bentoml.depends(ModelA)
    model_b = bentoml.depends(ModelB)

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
        except features.BadFeatures as bad:
            return error_response(contract.BAD_FEATURES_STATUS, contract.error_body(str(bad)), ctx)
        if vector is None:
            return error_response(404, contract.unknown_entity_body(entity_id), ctx)

        item = ModelInput(features=vector, sent_at=time.time())
        called = time.perf_counter()
        try:
            out_a, out_b = await asyncio.wait_for(
                asyncio.gather(call_model(self.model_a, [item]), call_model(self.model_b, [item])),
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


guard.install(PerRequestScorer)
