"""The probes and the OpenAPI document on the Flask target."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from scoring import contract, openapi, store_checks
from sync_baseline.scorer import current_scorer

bp = Blueprint("probes", __name__)


@bp.get("/docs.json")
def docs() -> Any:
    return Response(contract.encode_json(openapi.openapi_document()), mimetype="application/json")


@bp.get("/healthz")
@bp.get("/livez")
def livez() -> Any:
    return Response("\n", mimetype="text/plain")


@bp.get("/readyz")
def readyz() -> Any:
    scorer = current_scorer()
    reason = store_checks.not_ready_reason(scorer.store, scorer.config)
    if reason is not None:
        return Response(reason, 503, mimetype="text/plain")
    return Response("\n", mimetype="text/plain")
