"""BentoML edge-batching variant: the entry service batches requests itself, models in process.

One MGET and one call of each model per batch, and no hop to a model
service. Serve it with `bentoml serve service.edge:EdgeScorer`.
"""

from __future__ import annotations

import functools

import bentoml

from scoring import metrics
from scoring.models import model_pair
from scoring.pipeline import RunModels, run_in_process
from scoring.settings import settings
from service import guard, runtime
from service.batching import BatchingEntry


@bentoml.service(name="EdgeScorer", **runtime.ENTRY)
class EdgeScorer(BatchingEntry):
    """Score entities in batches formed at the edge: one MGET and one model call per batch."""

    batch_metric = metrics.EDGE_BATCH

    def model_runner(self) -> RunModels:
        return functools.partial(run_in_process, *model_pair(settings))


guard.install(EdgeScorer)
