"""The contract at BentoML's HTTP edge: the ASGI guard installed on a service, and error answers."""

from __future__ import annotations

from typing import Any, cast

import bentoml
from starlette.responses import JSONResponse

from asgi_guard import ProfileMiddleware, RequestGuard
from scoring import contract, profiling
from scoring.pipeline import Outcome
from scoring.settings import settings
from service import model_health, store


async def not_ready_reason() -> str | None:
    """Why this entry worker is not ready: a model service down, or its store's problem."""
    return model_health.down_reason() or await store.not_ready_reason()


def install(service: Any) -> None:
    """Add the contract guard, and the profiler when SCORING_PROFILE_DIR is set."""
    service.add_asgi_middleware(
        RequestGuard,
        max_body_bytes=settings.max_body_bytes,
        max_in_flight=settings.max_in_flight,
        read_timeout_s=settings.request_read_timeout_s,
        max_header_fields=settings.max_header_fields,
        max_header_field_bytes=settings.max_header_field_bytes,
        not_ready_reason=not_ready_reason,
    )
    directory = profiling.profile_dir()
    if directory is not None:
        service.add_asgi_middleware(ProfileMiddleware, directory=directory)


def error_response(
    status: int, body: dict[str, Any], ctx: bentoml.Context
) -> contract.PredictResponse:
    # BentoML copies ctx.response onto whatever the API returns, so set both
    ctx.response.status_code = status
    ctx.response.headers.update(contract.error_headers(status))
    # BentoML sends a Response back as is; the API's declared type stays the
    # schema of a 200 answer, which is what its OpenAPI document shows
    return cast(contract.PredictResponse, JSONResponse(body, status_code=status))


def respond(outcome: Outcome, ctx: bentoml.Context) -> contract.PredictResponse:
    """Turn a pipeline outcome into what a BentoML API returns."""
    if outcome.response is None:
        return error_response(outcome.status, outcome.body, ctx)  # adds Retry-After on 503
    ctx.response.headers.update(outcome.headers)
    return outcome.response
