"""The HTTP contract both targets serve: paths, bodies and error messages."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from scoring.settings import settings

PREDICT_PATH = "/predict"
ENTITY_ID_PATTERN = r"^[A-Za-z0-9_.:\-]+$"

EntityId = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=settings.entity_id_max_length, pattern=ENTITY_ID_PATTERN
    ),
]

FEATURE_STORE_UNAVAILABLE = "feature store unavailable"
MODEL_OVERLOADED = "model service overloaded, retry later"
SERVER_OVERLOADED = "server overloaded, retry later"
MODEL_UNAVAILABLE = "model service unavailable"
MODEL_TIMEOUT = "model call timed out"
METHOD_NOT_ALLOWED = "method not allowed: use POST"
UNSUPPORTED_MEDIA_TYPE = "Content-Type must be application/json"
NOT_FOUND = "Not Found"
HEADERS_TOO_LARGE = (
    f"request header fields too large: at most {settings.max_header_fields} fields "
    f"of {settings.max_header_field_bytes} bytes each"
)
# a stored vector that cannot be scored: the server's data is wrong, not the
# request, and a retry gets the same answer (no Retry-After)
BAD_FEATURES_STATUS = 500
# seconds a client should wait before retrying a 503
RETRY_AFTER_S = 1


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


def openapi_document() -> dict[str, Any]:
    """Describe POST /predict and the probes as OpenAPI 3, from the same models as the checks."""
    error = {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "detail": {"type": "array"}},
    }
    errors = {
        str(status): {
            "description": text,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for status, text in (
            (400, "the body does not fit the schema"),
            (404, "unknown entity"),
            (405, "method not allowed"),
            (408, "the request did not arrive within the read timeout"),
            (413, "body too large"),
            (415, "not JSON"),
            (431, "header fields too large"),
            (500, "the entity's stored features cannot be scored (named in the message)"),
            (503, "feature store or models unavailable, or overloaded"),
            (504, "model call timed out"),
        )
    }
    errors["503"]["headers"] = {
        "Retry-After": {
            "description": "seconds to wait before retrying",
            "required": True,
            "schema": {"type": "integer"},
        }
    }
    probe = {"get": {"responses": {"200": {"description": "ok"}, "503": {"description": "not"}}}}
    return {
        "openapi": "3.0.2",
        "info": {"title": "scoring", "version": "1"},
        "paths": {
            PREDICT_PATH: {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Input"}}
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "both scores and their mean",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/PredictResponse"}
                                }
                            },
                        },
                        **errors,
                    },
                }
            },
            **{path: probe for path in ("/healthz", "/livez", "/readyz")},
        },
        "components": {
            "schemas": {
                "Input": PredictRequest.model_json_schema(),
                "PredictResponse": PredictResponse.model_json_schema(
                    ref_template="#/components/schemas/{model}"
                ),
                "Scores": Scores.model_json_schema(),
                "Error": error,
            }
        },
    }
