"""Flask target: the same contract, synchronous from end to end."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis
from flask import Flask, Response, g, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from scoring import contract, features, profiling
from scoring.models import SleepingModel
from scoring.settings import Settings, settings
from scoring.timing import Timer
from sync_baseline import admission, metrics, worker


def _error(status: int, body: dict[str, Any]) -> Response:
    response = Response(contract.encode_json(body), status, mimetype="application/json")
    response.headers.update(contract.error_headers(status))
    return response


def _read_body(limit: int) -> bytes:
    """Return the request body; werkzeug checks a declared length, we count a chunked one."""
    if request.content_length is not None:
        return request.get_data()
    raw: bytes = request.environ["wsgi.input"].read(limit + 1)
    if len(raw) > limit:
        raise RequestEntityTooLarge()
    return raw


def create_app(
    config: Settings | None = None,
    parallel_models: bool = False,
    queue_timeout_ms: float = 0,
    store: redis.Redis | None = None,
) -> Flask:
    """Create the app.

    parallel_models runs the two model calls in two threads. queue_timeout_ms,
    when over 0, answers 503 at once to a request that waited longer than that
    for a worker (see sync_baseline/admission.py): its client has waited long
    enough, and the answer frees the worker for the requests behind it.
    store replaces the Redis client built from config (for in-process tests).
    """
    config = config or settings
    budget_s = config.model_timeout_s
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    store = store or features.sync_client(config)
    # one instance of each model per worker process, like one per BentoML service
    model_a = SleepingModel("model_a", config)
    model_b = SleepingModel("model_b", config)
    pool = ThreadPoolExecutor(max_workers=2) if parallel_models else None

    def run_models(vector: list[float]) -> tuple[float, float]:
        """Both scores within one budget of model_timeout_s, or TimeoutError."""
        started = time.monotonic()
        if pool is None:
            score_a = model_a.predict(vector, budget_s)
            return score_a, model_b.predict(vector, budget_s - (time.monotonic() - started))
        future_b = pool.submit(model_b.predict, vector, budget_s)
        score_a = model_a.predict(vector, budget_s)
        return score_a, future_b.result(timeout=budget_s - (time.monotonic() - started))

    @app.before_request
    def request_has_arrived() -> Response | None:
        if request.path != contract.PREDICT_PATH or request.method != "POST":
            worker.cancel_read_deadline()  # no body to wait for
        if request.environ.get("PATH_INFO", "").startswith("//"):
            # werkzeug matches "//predict" as "/predict"; the ASGI targets answer 404
            worker.cancel_read_deadline()
            return _error(404, contract.error_body(contract.NOT_FOUND))
        return None

    # OPTIONS too is answered 405 with Allow: POST, as on the ASGI targets
    @app.post(contract.PREDICT_PATH, provide_automatic_options=False)
    def predict() -> Any:
        timer = Timer()
        waited_ms = admission.queue_wait_ms(request.environ.get("gunicorn.socket"))
        if waited_ms is not None:
            metrics.QUEUE_WAIT.observe(waited_ms / 1000)
            if 0 < queue_timeout_ms < waited_ms:
                return _error(503, contract.error_body(contract.SERVER_OVERLOADED))
        if not contract.is_json_media_type(request.content_type):
            return _error(415, contract.error_body(contract.UNSUPPORTED_MEDIA_TYPE))
        # an empty body is an empty object, as BentoML reads it: "entity_id: Field required"
        try:
            raw = _read_body(config.max_body_bytes) or b"{}"
        except worker.ReadTimedOut:
            message = contract.read_timeout_message(config.request_read_timeout_s)
            response = _error(408, contract.error_body(message))
            response.headers["Connection"] = "close"
            return response
        finally:
            worker.cancel_read_deadline()
        try:
            body = contract.PredictRequest.model_validate_json(raw)
        except ValidationError as exc:
            return _error(400, contract.validation_error_body(exc))
        try:
            with timer.span("redis"):
                vector = features.fetch_features(store, body.entity_id)
        except (redis.ConnectionError, redis.TimeoutError):
            return _error(503, contract.error_body(contract.FEATURE_STORE_UNAVAILABLE))
        except features.BadFeatures as bad:
            return _error(contract.BAD_FEATURES_STATUS, contract.error_body(str(bad)))
        if vector is None:
            return _error(404, contract.unknown_entity_body(body.entity_id))
        try:
            with timer.span("model"):
                score_a, score_b = run_models(vector)
        except TimeoutError:
            return _error(504, contract.error_body(contract.MODEL_TIMEOUT))
        answer = contract.build_response(body.entity_id, score_a, score_b)
        return Response(
            answer.model_dump_json(),
            mimetype="application/json",
            headers={"Server-Timing": timer.header()},
        )

    @app.get("/docs.json")
    def docs() -> Any:
        return Response(
            contract.encode_json(contract.openapi_document()), mimetype="application/json"
        )

    @app.get("/healthz")
    @app.get("/livez")
    def livez() -> Any:
        return Response("\n", mimetype="text/plain")

    @app.get("/readyz")
    def readyz() -> Any:
        reason = features.not_ready_reason(store)
        if reason is not None:
            return Response(reason, 503, mimetype="text/plain")
        return Response("\n", mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        # werkzeug's own errors (405, 413, unknown path) in the contract's JSON shape
        status = exc.code or 500
        if status == 413:
            return _error(
                413, contract.error_body(contract.body_too_large_message(config.max_body_bytes))
            )
        if status == 405:
            response = _error(405, contract.error_body(contract.METHOD_NOT_ALLOWED))
            response.headers["Allow"] = "POST"
            return response
        if status == 404:
            return _error(404, contract.error_body(contract.NOT_FOUND))
        return _error(status, contract.error_body(exc.description or exc.name))

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
