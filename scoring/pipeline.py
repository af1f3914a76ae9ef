"""Batched scoring, framework-free: concurrent requests form a batch; one MGET, one model call.

Every batching entry point (the shipped BentoML entry service, the edge
service, the bare Starlette app) is this pipeline with a different way to run
the two models: over HTTP to the model services, or in process. Each turns
an Outcome into its own framework's response.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aredis

from scoring import contract, redis_store
from scoring.batcher import ContinuousBatcher
from scoring.models import SleepingModel
from scoring.settings import Settings
from scoring.timing import Timer
from scoring.vectors import BadFeatures, Features

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelScores:
    """Both models' scores for a batch, and where the batch's model time went (ms)."""

    model_a: list[float]
    model_b: list[float]
    timing_ms: dict[str, float] = field(default_factory=dict)


RunModels = Callable[[Sequence[Features]], Awaitable[ModelScores]]


@dataclass(frozen=True)
class _Scored:
    found: bool
    score_a: float
    score_b: float
    timing_ms: dict[str, float]
    bad: BadFeatures | None = None


@dataclass(frozen=True)
class Outcome:
    """One request's answer: a 200 with its response, or an error status and body."""

    status: int
    body: dict[str, Any]
    response: contract.PredictResponse | None = None
    server_timing: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        """The headers the contract adds: Retry-After on 503, Server-Timing on 200."""
        if self.status != 200:
            return contract.error_headers(self.status)
        return {"Server-Timing": self.server_timing} if self.server_timing else {}


def _error(exc: BaseException) -> Outcome:
    answer = contract.answer_for(exc)
    return Outcome(answer.status, answer.body)


async def run_in_process(
    model_a: SleepingModel, model_b: SleepingModel, vectors: Sequence[Features]
) -> ModelScores:
    """Run two in-process SleepingModels on a batch, concurrently."""
    started = time.perf_counter()
    scores_a, scores_b = await asyncio.gather(
        model_a.predict_batch_async(vectors), model_b.predict_batch_async(vectors)
    )
    return ModelScores(scores_a, scores_b, {"model": (time.perf_counter() - started) * 1000})


class BatchedScoring:
    """Answer predict requests in batches formed from whatever queued while the last batch ran."""

    def __init__(
        self,
        store: aredis.Redis,
        run_models: RunModels,
        config: Settings,
        observe_batch: Callable[[int], None] = lambda size: None,
        batches_in_flight: int = 1,
    ) -> None:
        self.store = store
        self.run_models = run_models
        self.timeout_s = config.model_timeout_s
        self.dim = config.feature_dim
        self.batcher: ContinuousBatcher[str, _Scored] = ContinuousBatcher(
            self._score_batch,
            config.max_batch_size,
            config.max_queue,
            batches_in_flight,
            config.regather_ms,
            config.regather_max_ms,
        )
        self.observe_batch = observe_batch  # a batch-size metric, for example

    async def _score_batch(self, entity_ids: Sequence[str]) -> list[_Scored]:
        self.observe_batch(len(entity_ids))
        started = time.perf_counter()
        # one MGET per batch, not one GET per request
        vectors = await redis_store.fetch_many_async(self.store, entity_ids, self.dim)
        redis_ms = (time.perf_counter() - started) * 1000
        known = [v for v in vectors if isinstance(v, list)]
        scores = ModelScores([], [])
        if known:
            # the budget bounds the batch too, so one stuck call cannot stall every later batch
            scores = await asyncio.wait_for(self.run_models(known), self.timeout_s)
        timing = {"redis": redis_ms, **scores.timing_ms}
        answers, position = [], 0
        for vector in vectors:
            if isinstance(vector, list):
                a, b = scores.model_a[position], scores.model_b[position]
                answers.append(_Scored(True, a, b, timing))
                position += 1
            else:  # unknown, or a vector only its own request fails on
                answers.append(_Scored(False, 0.0, 0.0, timing, vector))
        return answers

    async def answer(self, entity_id: str) -> Outcome:
        """Score one entity within the model budget, or say why not in the contract's terms."""
        timer = Timer()
        try:
            scored, waited_ms = await asyncio.wait_for(
                self.batcher.submit(entity_id), self.timeout_s
            )
        except contract.ANSWERED as exc:
            return _error(exc)
        if scored.bad is not None:
            return _error(scored.bad)
        if not scored.found:
            return Outcome(404, contract.unknown_entity_body(entity_id))
        timer.add("batch_wait", waited_ms)
        for part, ms in scored.timing_ms.items():
            timer.add(part, ms)
        response = contract.build_response(entity_id, scored.score_a, scored.score_b)
        return Outcome(200, {}, response, timer.header())

    async def close(self) -> None:
        """Stop the batcher's worker task."""
        await self.batcher.close()
