"""What the Flask target scores with: one Redis pool and one instance of each model per worker."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import redis
from flask import Flask, current_app

from scoring.models import SleepingModel, model_pair
from scoring.settings import Settings


@dataclass
class Scorer:
    """A worker's store client and models; the predict view reads it from the app."""

    config: Settings
    store: redis.Redis
    # a request that waited longer than this for a worker is answered 503 at once; 0: off
    queue_timeout_ms: float = 0
    parallel_models: bool = False
    shared_models_in: Path | None = None  # one copy of each model for every worker
    model_a: SleepingModel = field(init=False)
    model_b: SleepingModel = field(init=False)
    pool: ThreadPoolExecutor | None = field(init=False)

    def __post_init__(self) -> None:
        # one instance of each model per worker process, like one per BentoML service
        self.model_a, self.model_b = model_pair(self.config, self.shared_models_in)
        self.pool = ThreadPoolExecutor(max_workers=2) if self.parallel_models else None

    def init_app(self, app: Flask) -> None:
        app.extensions["scorer"] = self

    def run_models(self, vector: list[float]) -> tuple[float, float]:
        """Both scores within one budget of model_timeout_s, or TimeoutError."""
        budget_s = self.config.model_timeout_s
        started = time.monotonic()
        if self.pool is None:
            score_a = self.model_a.predict(vector, budget_s)
            return score_a, self.model_b.predict(vector, budget_s - (time.monotonic() - started))
        future_b = self.pool.submit(self.model_b.predict, vector, budget_s)
        score_a = self.model_a.predict(vector, budget_s)
        return score_a, future_b.result(timeout=budget_s - (time.monotonic() - started))


def current_scorer() -> Scorer:
    """The app's Scorer, inside a request."""
    scorer: Scorer = current_app.extensions["scorer"]
    return scorer
