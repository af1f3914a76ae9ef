"""The contract as an OpenAPI 3 document: POST /predict and the probes, from the same models."""

from __future__ import annotations

from typing import Any

from scoring.contract import PREDICT_PATH, PredictRequest, PredictResponse, Scores

# every error status of POST /predict, and when it is answered
ERROR_STATUSES = (
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


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _error_responses() -> dict[str, Any]:
    errors: dict[str, Any] = {
        str(status): {"description": text, "content": _json("Error")}
        for status, text in ERROR_STATUSES
    }
    errors["503"]["headers"] = {
        "Retry-After": {
            "description": "seconds to wait before retrying",
            "required": True,
            "schema": {"type": "integer"},
        }
    }
    return errors


def _schemas() -> dict[str, Any]:
    error = {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "detail": {"type": "array"}},
    }
    return {
        "Input": PredictRequest.model_json_schema(),
        "PredictResponse": PredictResponse.model_json_schema(
            ref_template="#/components/schemas/{model}"
        ),
        "Scores": Scores.model_json_schema(),
        "Error": error,
    }


def openapi_document() -> dict[str, Any]:
    """Describe POST /predict and the probes as OpenAPI 3, from the same models as the checks."""
    probe = {"get": {"responses": {"200": {"description": "ok"}, "503": {"description": "not"}}}}
    predict = {
        "requestBody": {"required": True, "content": _json("Input")},
        "responses": {
            "200": {
                "description": "both scores and their mean",
                "content": _json("PredictResponse"),
            },
            **_error_responses(),
        },
    }
    return {
        "openapi": "3.0.2",
        "info": {"title": "scoring", "version": "1"},
        "paths": {
            PREDICT_PATH: {"post": predict},
            **{path: probe for path in ("/healthz", "/livez", "/readyz")},
        },
        "components": {"schemas": _schemas()},
    }
