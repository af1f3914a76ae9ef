"""The calibration target: the HTTP contract answered after a fixed 45 ms sleep, nothing else.

No Redis, no model, no batching: whatever its latency adds to 45 ms at an offered
rate is what the load generator, the loopback and this machine's scheduler add
there, the floor under every other target's figure. Served like the bare app:
uvicorn bare.calibration:app --loop uvloop --http httptools.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from scoring import contract, heap
from scoring.answers import scores_for

SLEEP_MS = 45.0  # the middle of the sleeping models' 40-50 ms


async def predict(request: Request) -> Response:
    """The right answer for the entity, SLEEP_MS after the request arrived."""
    try:
        body = contract.PredictRequest.model_validate_json(await request.body() or b"{}")
    except ValidationError as exc:
        return JSONResponse(contract.validation_error_body(exc), status_code=400)
    await asyncio.sleep(SLEEP_MS / 1000)
    scores = scores_for(body.entity_id)
    answer = {"entity_id": body.entity_id, "scores": scores, "score": sum(scores.values()) / 2}
    return JSONResponse(answer)


async def ready(_request: Request) -> Response:
    return PlainTextResponse("ok")


async def metrics(_request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@contextlib.asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    heap.freeze_startup_heap("calibration")  # as every target does
    yield


app = Starlette(
    routes=[
        Route("/predict", predict, methods=["POST"]),
        Route("/readyz", ready),
        Route("/livez", ready),
        Route("/metrics", metrics),
    ],
    lifespan=lifespan,
)
