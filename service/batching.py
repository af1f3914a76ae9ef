"""The entry services that batch before the models: one predict API on scoring.pipeline."""

from __future__ import annotations

import bentoml

from scoring import contract, metrics
from scoring.pipeline import BatchedScoring, RunModels
from scoring.settings import settings
from service import guard
from service.store import FeatureStoreClient


class BatchingEntry(FeatureStoreClient):
    """Answer predict from batches of concurrent requests; subclasses say how models run."""

    batch_metric: str
    # batches out at once: 1 for models in process, which run one batch at a time
    batches_in_flight = 1

    def __init__(self) -> None:
        super().__init__()
        # each batch out holds one connection; one more for readiness
        self.warm_connections = self.batches_in_flight + 1
        batch_size = bentoml.metrics.Histogram(
            name=self.batch_metric,
            documentation="Requests per batch formed by the entry service.",
            buckets=metrics.BATCH_BUCKETS,
        )
        self.scoring = BatchedScoring(
            self.redis,
            self.model_runner(),
            settings,
            observe_batch=batch_size.observe,
            batches_in_flight=self.batches_in_flight,
        )

    def model_runner(self) -> RunModels:
        """Return what scores a batch of feature vectors with both models."""
        raise NotImplementedError

    @bentoml.on_shutdown
    async def close_batcher(self) -> None:
        await self.scoring.close()

    @bentoml.api(route=contract.PREDICT_PATH)
    async def predict(
        self, entity_id: contract.EntityId, ctx: bentoml.Context
    ) -> contract.PredictResponse:
        """Score one entity with model_a and model_b."""
        return guard.respond(await self.scoring.answer(entity_id), ctx)
