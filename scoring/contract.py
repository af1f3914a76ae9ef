"""The HTTP contract both targets serve: paths, bodies and error messages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

import redis
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError
from redis.exceptions import NoPermissionError

from scoring.batcher import Overloaded
from scoring.settings import settings
from scoring.vectors import BadFeatures

PREDICT_PATH = "/predict"
ENTITY_ID_PATTERN = r"^[A-Za-z0-9_.:\-]+$"

EntityId = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=settings.entity_id_max_length, pattern=ENTITY_ID_PATTERN
    ),
]

FEATURE_STORE_UNAVAILABLE = "feature store unavailable"
FEATURE_STORE_REFUSED = "feature store refused the lookup"
MODEL_OVERLOADED = "model service overloaded, retry later"
SERVER_OVERLOADED = "server overloaded, retry later"
MODEL_UNAVAILABLE = "model service unavailable"
MODEL_TIMEOUT = "model call timed out"
METHOD_NOT_ALLOWED = "method not allowed: use POST"
UNSUPPORTED_MEDIA_TYPE = "Content-Type must be application/json"
NOT_FOUND = "Not Found"
# uvicorn's own answer (400, text/plain) to a request it cannot parse; every target sends it
UNPARSEABLE = "Invalid HTTP request received."


def headers_too_large_message(max_fields: int, max_field_bytes: int) -> str:
    """Return the 431 message for header fields past the limits."""
    return (
        f"request header fields too large: at most {max_fields} fields "
        f"of {max_field_bytes} bytes each"
    )


HEADERS_TOO_LARGE = headers_too_large_message(
    settings.max_header_fields, settings.max_header_field_bytes
)
# a stored vector that cannot be scored: the server's data is wrong, not the
# request, and a retry gets the same answer (no Retry-After)
BAD_FEATURES_STATUS = 500
# seconds a client should wait before retrying a 503
RETRY_AFTER_S = 1


class ModelUnavailable(Exception):
    """A model could not be reached: the batch's requests answer 503 "model service unavailable"."""


class ModelOverloaded(Exception):
    """A model shed the call: the batch's requests answer 503 "model service overloaded"."""


# The one table from an exception to the contract's answer, read by every
# target: (exceptions, status, message; None: the exception's own words).
# Headers follow the status (error_headers). A new error is one row here.
ERRORS: tuple[tuple[tuple[type[BaseException], ...], int, str | None], ...] = (
    ((redis.ConnectionError, redis.TimeoutError), 503, FEATURE_STORE_UNAVAILABLE),
    ((NoPermissionError,), 503, FEATURE_STORE_REFUSED),
    ((Overloaded, ModelOverloaded), 503, MODEL_OVERLOADED),
    ((ModelUnavailable,), 503, MODEL_UNAVAILABLE),
    ((TimeoutError,), 504, MODEL_TIMEOUT),
    ((BadFeatures,), BAD_FEATURES_STATUS, None),
)
# what a handler catches to answer through the table
ANSWERED: tuple[type[BaseException], ...] = tuple(t for types, _, _ in ERRORS for t in types)


@dataclass(frozen=True)
class ErrorAnswer:
    """A contract error as every target sends it."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def answer_for(exc: BaseException) -> ErrorAnswer:
    """The contract's answer to an exception of the ERRORS table."""
    for types, status, message in ERRORS:
        if isinstance(exc, types):
            body = error_body(message if message is not None else str(exc))
            return ErrorAnswer(status, body, error_headers(status))
    raise TypeError(f"{type(exc).__name__} is not a contract error") from exc


def body_too_large_message(limit: int) -> str:
    """Return the 413 message for a body over the limit."""
    return f"request body over {limit} bytes"


def read_timeout_message(seconds: float) -> str:
    """Return the 408 message for a request that did not arrive in time."""
    return f"request not received within {seconds:g} s"


def is_json_media_type(content_type: str | None) -> bool:
    """Accept a missing Content-Type or a JSON one; both targets then parse JSON."""
    if not content_type:
        return True
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


class PredictRequest(BaseModel):
    """Body of POST /predict."""

    # BentoML names the model it generates from the API signature "Input";
    # the same title makes both targets' validation messages identical
    model_config = ConfigDict(title="Input")

    entity_id: EntityId


class Scores(BaseModel):
    """One score per model."""

    model_a: float
    model_b: float


class PredictResponse(BaseModel):
    """Body of a 200 answer to POST /predict."""

    entity_id: str
    scores: Scores
    score: float


def build_response(entity_id: str, score_a: float, score_b: float) -> PredictResponse:
    """Assemble the answer; the combined score is the mean of the two models."""
    return PredictResponse(
        entity_id=entity_id,
        scores=Scores(model_a=score_a, model_b=score_b),
        score=(score_a + score_b) / 2,
    )


def encode_json(body: dict[str, Any]) -> bytes:
    """Serialise an error body exactly as Starlette's JSONResponse does."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def error_headers(status: int) -> dict[str, str]:
    """The headers an error answer carries: Retry-After on a 503, the one retryable status."""
    return {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else {}


def error_body(message: str) -> dict[str, Any]:
    """Return the JSON body of every non-validation error."""
    return {"error": message}


def unknown_entity_body(entity_id: str) -> dict[str, Any]:
    """Return the 404 body naming the id that was not found."""
    return error_body(f"unknown entity_id: {entity_id!r}")


def validation_error_body(exc: ValidationError) -> dict[str, Any]:
    """Return the 400 body for a body that does not fit the request schema.

    Same shape as BentoML's own answer to a validation error, so the two
    targets agree without either one post-processing the other's output.
    """
    return {
        "error": f"{exc.error_count()} validation error for {exc.title}",
        "detail": exc.errors(include_context=False, include_input=False),
    }
