"""The shipped BentoML target: an async entry service that batches before the hop to the models.

Concurrent requests form a batch (whatever queued while the last batch was
out, no deliberate wait); each batch costs one Redis MGET and one call of
each model service with the whole list, both model services concurrently.
The model services (service/models.py) stay separate BentoML services with
batchable APIs, so they can be scaled and placed on their own.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import bentoml

from scoring import metrics
from scoring.pipeline import ModelScores, RunModels
from scoring.settings import settings
from scoring.vectors import Features
from service import guard, runtime
from service.batching import BatchingEntry
from service.models import ModelInput
from service.remote_models import RemoteModels


@bentoml.service(name="Scorer", **runtime.ENTRY)
class Scorer(RemoteModels, BatchingEntry):
    """Fetch features from Redis and score them with both model services, a batch at a time."""

    batch_metric = metrics.ENTRY_BATCH
    # a second batch leaves while the first is out: the model services merge what
    # queues from every entry worker, instead of each worker waiting its turn
    batches_in_flight = settings.batches_in_flight

    def model_runner(self) -> RunModels:
        return self._run_models

    async def _run_models(self, vectors: Sequence[Features]) -> ModelScores:
        sent_at = time.time()
        items = [ModelInput(features=list(v), sent_at=sent_at) for v in vectors]
        called = time.perf_counter()
        out_a, out_b = await self.call_models(items)
        # the two calls overlap: attribute the slower one's wait and run
        queued_ms = max(out_a[0].queued_ms, out_b[0].queued_ms)
        model_ms = max(out_a[0].model_ms, out_b[0].model_ms)
        hop_ms = (time.perf_counter() - called) * 1000 - queued_ms - model_ms
        return ModelScores(
            [o.score for o in out_a],
            [o.score for o in out_b],
            {"batch_wait": queued_ms, "model": model_ms, "hop": hop_ms},
        )


guard.install(Scorer)
