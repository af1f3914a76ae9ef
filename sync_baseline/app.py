"""Flask target: the same contract, synchronous from end to end."""

from __future__ import annotations

from pathlib import Path

import redis
from flask import Flask, g, request

from scoring import contract, profiling, redis_store
from scoring.settings import Settings, settings
from sync_baseline import errors, metrics, predict, probes
from sync_baseline.scorer import Scorer


def create_app(
    config: Settings | None = None,
    parallel_models: bool = False,
    queue_timeout_ms: float = 0,
    store: redis.Redis | None = None,
    shared_models_in: Path | None = None,
) -> Flask:
    """Create the app.

    parallel_models runs the two model calls in two threads. queue_timeout_ms,
    when over 0, answers 503 at once to a request that waited longer than that
    for a worker (see sync_baseline/admission.py): its client has waited long
    enough, and the answer frees the worker for the requests behind it.
    store replaces the Redis client built from config (for in-process tests).
    shared_models_in, a directory, makes every worker given it call one copy of
    each model (scoring.models.ProcessLock).
    """
    config = config or settings
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    store = store or redis_store.sync_client(config)
    Scorer(config, store, queue_timeout_ms, parallel_models, shared_models_in).init_app(app)
    app.register_blueprint(predict.bp)
    app.register_blueprint(probes.bp)
    errors.init_app(app, config.max_body_bytes)
    metrics.init_app(app)
    _init_profiling(app)
    return app


def _init_profiling(app: Flask) -> None:
    """Profile every predict request into SCORING_PROFILE_DIR (diagnostics only)."""
    directory = profiling.profile_dir()
    if directory is None:
        return

    @app.before_request
    def start_profile() -> None:
        if request.path == contract.PREDICT_PATH:
            g.profiler = profiling.start(async_mode=False)

    @app.teardown_request
    def finish_profile(_: BaseException | None) -> None:
        if "profiler" in g:
            profiling.finish(g.pop("profiler"), directory)
