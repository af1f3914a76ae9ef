"""The model services ("runners"): each a separate BentoML service with a batchable API."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import aiohttp
import bentoml
from bentoml.exceptions import ServiceUnavailable
from pydantic import BaseModel

from scoring import metrics
from scoring.batcher import ContinuousBatcher, Overloaded
from scoring.models import MODEL_NAMES, SleepingModel
from scoring.settings import settings
from service import runtime
from service.dispatch import drop_learned_hold
from service.drain import DrainBeforeExit
from service.heap import FrozenStartupHeap
from service.metrics_labels import label_by_route

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
#   the knobs from settings (the shipped default); a call carrying a list of
#   items is one job whose items count toward max_batch_size;
# - "continuous": a plain API that feeds an in-process continuous batcher,
#   which never waits on purpose except to regather the calls of its last
#   batch (see scoring/batcher.py): what merges several entry pods' batches;
# - "none": one call at a time, as it arrives.
# Every mode takes a list, so the entry services call them all the same way.
_API_OPTIONS: dict[str, Any] = (
    {
        "batchable": True,
        "max_batch_size": settings.max_batch_size,
        "max_latency_ms": settings.max_latency_ms,
    }
    if settings.model_batcher == "adaptive"
    else {}
)


class _BatchedModel(FrozenStartupHeap, DrainBeforeExit):
    """A model served behind a batching API: one sleep per batch, not per request."""

    name: str

    def __init__(self) -> None:
        label_by_route()  # in the worker, before its first request
        if settings.model_batcher == "adaptive" and settings.model_batch_hold == "none":
            # in the worker, before its first batch: the dispatcher's class is patched
            drop_learned_hold()
        self.model = SleepingModel(self.name, settings)
        self.batcher: ContinuousBatcher[ModelInput, ModelOutput] | None = None
        if settings.model_batcher == "continuous":
            self.batcher = ContinuousBatcher(
                self._score,
                settings.max_batch_size,
                settings.max_queue,
                regather_ms=settings.model_regather_ms,
                regather_max_ms=settings.model_regather_max_ms,
            )
        # items per model call, whatever formed the batch: BentoML's own
        # histogram counts calls, and a call from the batching entry carries many
        self.batch_size = bentoml.metrics.Histogram(
            name=metrics.MODEL_BATCH,
            documentation="Items per model call.",
            labelnames=["model"],
            buckets=metrics.BATCH_BUCKETS,
        )

    async def _score(self, items: Sequence[ModelInput]) -> list[ModelOutput]:
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
        self.mark_call()
        if self.batcher is None:
            return await self._score(items)
        try:
            # one call, however many items: the batcher regathers its callers
            done = await self.batcher.submit_all(items)
        except Overloaded as exc:
            raise ServiceUnavailable("process is overloaded") from exc
        return [output for output, _ in done]


@bentoml.service(name="ModelA", **runtime.MODEL)
class ModelA(_BatchedModel):
    name = MODEL_NAMES[0]


@bentoml.service(name="ModelB", **runtime.MODEL)
class ModelB(_BatchedModel):
    name = MODEL_NAMES[1]


async def call_model(model: Any, items: list[ModelInput]) -> list[ModelOutput]:
    """Call a model service with a list of items, retrying once on a dropped connection."""
    try:
        result: list[ModelOutput] = await model.to_async.predict(items)
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
        # the model server may close an idle keep-alive connection just as it
        # is reused; scoring is idempotent, so one retry on a new one is safe
        logger.warning("retrying a model call after %r", exc)
        result = await model.to_async.predict(items)
    return result
