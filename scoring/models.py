"""The two fake models: a fixed logistic score behind a 40-50 ms sleep.

The sleep stands in for inference on an accelerator, so an instance is a
serial resource: it runs one call or one batch at a time, whatever the
number of threads or tasks that want it.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import math
import os
import random
import threading
import time
from collections.abc import Sequence
from pathlib import Path

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
    # exp of a non-positive number only: no overflow for any finite z
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    ez = math.exp(z)
    return ez / (1.0 + ez)


def expected_scores(features: Sequence[float]) -> dict[str, float]:
    """Recompute both models' scores for one vector, without sleeping."""
    return {name: score(*model_weights(name, len(features)), features) for name in MODEL_NAMES}


def model_pair(
    config: Settings, shared_in: Path | None = None
) -> tuple[SleepingModel, SleepingModel]:
    """One instance of each model, in MODEL_NAMES order.

    With shared_in, a directory, the instances of every process given the same
    directory are one copy of each model (a ProcessLock file per model there).
    """
    model_a, model_b = (
        SleepingModel(name, config, shared=ProcessLock(shared_in / name) if shared_in else None)
        for name in MODEL_NAMES
    )
    return model_a, model_b


class ProcessLock:
    """A lock held by one process at a time among all that open the same file (flock)."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def acquire(self) -> None:
        """Wait for the lock, as a call waits for a busy accelerator (no polling)."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)


class SleepingModel:
    """One model instance: a serial resource that sleeps once per call or batch.

    With a ProcessLock, the instances of every process that share its file are
    one serial resource together: one copy of the model for all of them.
    """

    def __init__(
        self,
        name: str,
        config: Settings,
        seed: int | None = None,
        shared: ProcessLock | None = None,
    ) -> None:
        self.name = name
        self.weights, self.bias = model_weights(name, config.feature_dim)
        self._min_s = config.model_sleep_min_ms / 1000
        self._max_s = config.model_sleep_max_ms / 1000
        self._item_s = config.model_item_cost_ms / 1000
        self._rng = random.Random(seed)
        self._thread_lock = threading.Lock()
        self._shared = shared
        self._async_lock: asyncio.Lock | None = None

    def _duration_s(self, batch_size: int) -> float:
        return self._rng.uniform(self._min_s, self._max_s) + self._item_s * batch_size

    def _scores(self, batch: Sequence[Sequence[float]]) -> list[float]:
        return [score(self.weights, self.bias, features) for features in batch]

    def predict_batch(
        self, batch: Sequence[Sequence[float]], timeout_s: float | None = None
    ) -> list[float]:
        """Score a batch, blocking the calling thread for one model call.

        With timeout_s, give up at that budget, like a call to a model server
        with a deadline: wait for the model and run it for at most timeout_s in
        all, then raise TimeoutError.
        """
        started = time.monotonic()
        # acquire(timeout=-1) waits as long as it takes
        if not self._thread_lock.acquire(timeout=-1 if timeout_s is None else max(timeout_s, 0)):
            raise TimeoutError(f"{self.name}: model busy for {timeout_s} s")
        if self._shared is not None:
            self._shared.acquire()  # the budget below counts this wait too
        try:
            duration = self._duration_s(len(batch))
            if timeout_s is not None:
                remaining = timeout_s - (time.monotonic() - started)
                if duration > remaining:
                    time.sleep(max(remaining, 0))
                    raise TimeoutError(f"{self.name}: call over its {timeout_s} s budget")
            time.sleep(duration)
            return self._scores(batch)
        finally:
            if self._shared is not None:
                self._shared.release()
            self._thread_lock.release()

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

    def predict(self, features: Sequence[float], timeout_s: float | None = None) -> float:
        """Score one vector, blocking the calling thread (see predict_batch for timeout_s)."""
        return self.predict_batch([features], timeout_s)[0]
