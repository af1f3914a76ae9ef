"""The two fake models: a fixed logistic score behind a 40-50 ms sleep.

The sleep stands in for inference on an accelerator, so an instance is a
serial resource: it runs one call or one batch at a time, whatever the
number of threads or tasks that want it.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import random
import threading
import time
from collections.abc import Sequence

from scoring.settings import Settings

MODEL_NAMES = ("model_a", "model_b")


def model_weights(name: str, dim: int) -> tuple[list[float], float]:
    """Return the fixed weights and bias of a model, derived from its name."""
    digest = hashlib.sha256(name.encode()).digest()
    rng = random.Random(digest)
    weights = [rng.uniform(-1.0, 1.0) for _ in range(dim)]
    return weights, rng.uniform(-0.5, 0.5)


def score(weights: Sequence[float], bias: float, features: Sequence[float]) -> float:
    """Return the logistic of the dot product: the whole of the model's maths."""
    if len(features) != len(weights):
        raise ValueError(f"expected {len(weights)} features, got {len(features)}")
    z = bias + math.fsum(w * x for w, x in zip(weights, features, strict=True))
    return 1.0 / (1.0 + math.exp(-z))


def expected_scores(features: Sequence[float]) -> dict[str, float]:
    """Recompute both models' scores for one vector, without sleeping."""
    return {name: score(*model_weights(name, len(features)), features) for name in MODEL_NAMES}


class SleepingModel:
    """One model instance: a serial resource that sleeps once per call or batch."""

    def __init__(self, name: str, config: Settings, seed: int | None = None) -> None:
        self.name = name
        self.weights, self.bias = model_weights(name, config.feature_dim)
        self._min_s = config.model_sleep_min_ms / 1000
        self._max_s = config.model_sleep_max_ms / 1000
        self._item_s = config.model_item_cost_ms / 1000
        self._rng = random.Random(seed)
        self._thread_lock = threading.Lock()
        self._async_lock: asyncio.Lock | None = None

    def _duration_s(self, batch_size: int) -> float:
        return self._rng.uniform(self._min_s, self._max_s) + self._item_s * batch_size

    def _scores(self, batch: Sequence[Sequence[float]]) -> list[float]:
        return [score(self.weights, self.bias, features) for features in batch]

    def predict_batch(self, batch: Sequence[Sequence[float]]) -> list[float]:
        """Score a batch, blocking the calling thread for one model call."""
        with self._thread_lock:
            time.sleep(self._duration_s(len(batch)))
            return self._scores(batch)

    async def predict_batch_async(self, batch: Sequence[Sequence[float]]) -> list[float]:
        """Score a batch without blocking the event loop; callers queue for the model."""
        scores, _ = await self.predict_batch_timed_async(batch)
        return scores

    async def predict_batch_timed_async(
        self, batch: Sequence[Sequence[float]]
    ) -> tuple[list[float], float]:
        """Score a batch; also return the seconds spent waiting for the model to be free."""
        if self._async_lock is None:
            self._async_lock = asyncio.Lock()
        queued = time.perf_counter()
        async with self._async_lock:
            waited = time.perf_counter() - queued
            await asyncio.sleep(self._duration_s(len(batch)))
            return self._scores(batch), waited

    def predict(self, features: Sequence[float]) -> float:
        """Score one vector, blocking the calling thread."""
        return self.predict_batch([features])[0]
