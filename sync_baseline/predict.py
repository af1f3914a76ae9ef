"""POST /predict on the Flask target: synchronous from the body to both models."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request
from gunicorn.http.errors import NoMoreData, ParseException
from pydantic import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from scoring import contract, redis_store
from scoring.timing import Timer
from sync_baseline import admission, metrics, worker
from sync_baseline.errors import answer, error
from sync_baseline.scorer import current_scorer

bp = Blueprint("predict", __name__)


def _read_body(limit: int) -> bytes:
    """Return the request body; werkzeug checks a declared length, we count a chunked one."""
    if request.content_length is not None:
        return request.get_data()
    raw: bytes = request.environ["wsgi.input"].read(limit + 1)
    if len(raw) > limit:
        raise RequestEntityTooLarge()
    return raw


def _unparseable(exc: Exception) -> Response:
    """uvicorn's answer to a body it cannot parse (a malformed or cut chunked body), logged
    in one line: the client's mistake, not the server's, on every target alike."""
    current_app.logger.warning("invalid request body: %s", type(exc).__name__)
    response = Response(worker.UNPARSEABLE, 400, content_type="text/plain; charset=utf-8")
    response.headers["Connection"] = "close"
    return response


def _refusal(queue_timeout_ms: float) -> Response | None:
    """The admission, media type and read-deadline answers, before the body is parsed."""
    waited_ms = admission.queue_wait_ms(request.environ.get("gunicorn.socket"))
    if waited_ms is not None:
        metrics.QUEUE_WAIT.observe(waited_ms / 1000)
        if 0 < queue_timeout_ms < waited_ms:
            return error(503, contract.error_body(contract.SERVER_OVERLOADED))
    if not contract.is_json_media_type(request.content_type):
        return error(415, contract.error_body(contract.UNSUPPORTED_MEDIA_TYPE))
    return None


# OPTIONS too is answered 405 with Allow: POST, as on the ASGI targets
@bp.post(contract.PREDICT_PATH, provide_automatic_options=False)
def predict() -> Any:
    """Score one entity with model_a and model_b."""
    scorer, timer = current_scorer(), Timer()
    config = scorer.config
    refused = _refusal(scorer.queue_timeout_ms)
    if refused is not None:
        return refused
    # an empty body is an empty object, as BentoML reads it: "entity_id: Field required"
    try:
        raw = _read_body(config.max_body_bytes) or b"{}"
    except (ParseException, NoMoreData) as exc:
        return _unparseable(exc)
    except worker.ReadTimedOut:
        message = contract.read_timeout_message(config.request_read_timeout_s)
        response = error(408, contract.error_body(message))
        response.headers["Connection"] = "close"
        return response
    finally:
        worker.cancel_read_deadline()
    try:
        body = contract.PredictRequest.model_validate_json(raw)
    except ValidationError as exc:
        return error(400, contract.validation_error_body(exc))
    try:
        with timer.span("redis"):
            vector = redis_store.fetch_features(scorer.store, body.entity_id, config.feature_dim)
        if vector is None:
            return error(404, contract.unknown_entity_body(body.entity_id))
        with timer.span("model"):
            score_a, score_b = scorer.run_models(vector)
    except contract.ANSWERED as exc:
        return answer(exc)
    result = contract.build_response(body.entity_id, score_a, score_b)
    return Response(
        result.model_dump_json(),
        mimetype="application/json",
        headers={"Server-Timing": timer.header()},
    )
