"""The framework ceiling: the edge service's batching as a bare Starlette app, no BentoML.

Same contract and pipeline as service/edge.py (scoring/pipeline.py behind the
same ASGI guard), served by uvicorn with uvloop and httptools:
uvicorn bare.app:app --loop uvloop --http httptools. The comparison uses it to
say what BentoML itself costs per request.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import AsyncIterator

from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from asgi_guard import RequestGuard
from scoring import contract, heap, metrics, redis_store, store_checks
from scoring.models import model_pair
from scoring.pipeline import BatchedScoring, run_in_process
from scoring.settings import settings

logger = logging.getLogger(__name__)
BATCH_SIZE = Histogram(
    metrics.BARE_BATCH,
    "Requests per batch formed by the bare app.",
    buckets=metrics.BATCH_BUCKETS,
)
store = redis_store.async_client(settings)
scoring = BatchedScoring(
    store,
    functools.partial(run_in_process, *model_pair(settings)),
    settings,
    observe_batch=BATCH_SIZE.observe,
)


def _json(status: int, body: dict[str, object], headers: dict[str, str] | None = None) -> Response:
    # the same bytes as BentoML's answers: Starlette's JSONResponse on both
    return JSONResponse(body, status_code=status, headers=headers)


async def predict(request: Request) -> Response:
    """Score one entity with model_a and model_b."""
    # an empty body is an empty object, as BentoML reads it: "entity_id: Field required"
    raw = await request.body() or b"{}"
    try:
        body = contract.PredictRequest.model_validate_json(raw)
    except ValidationError as exc:
        return _json(400, contract.validation_error_body(exc))
    outcome = await scoring.answer(body.entity_id)
    if outcome.response is None:
        return _json(outcome.status, outcome.body, outcome.headers)
    return Response(
        outcome.response.model_dump_json(), media_type="application/json", headers=outcome.headers
    )


async def alive(_: Request) -> Response:
    return PlainTextResponse("\n")


async def ready(_: Request) -> Response:
    reason = await store_checks.not_ready_reason_async(store, settings)
    if reason is not None:
        return PlainTextResponse(reason, status_code=503)
    return PlainTextResponse("\n")


async def serve_metrics(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def not_found(request: Request, exc: Exception) -> Response:
    return _json(404, contract.error_body("Not Found"))


@contextlib.asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    try:
        store_checks.warn_at_start(await store_checks.store_problem_async(store, settings))
    except store_checks.StoreMisconfigured as exc:
        # one line and out: an exception here would reach the log as a traceback
        logger.error("%s", exc)
        os._exit(2)
    await redis_store.warm_pool(store, 2)
    heap.freeze_startup_heap("bare")
    yield
    await scoring.close()
    await store.aclose()


app = Starlette(
    routes=[
        Route(contract.PREDICT_PATH, predict, methods=["POST"]),
        *(Route(path, alive) for path in ("/healthz", "/livez")),
        Route("/readyz", ready),
        Route("/metrics", serve_metrics),
    ],
    middleware=[
        Middleware(
            RequestGuard,
            max_body_bytes=settings.max_body_bytes,
            max_in_flight=settings.max_in_flight,
            read_timeout_s=settings.request_read_timeout_s,
            max_header_fields=settings.max_header_fields,
            max_header_field_bytes=settings.max_header_field_bytes,
        )
    ],
    exception_handlers={404: not_found},
    lifespan=lifespan,
)
