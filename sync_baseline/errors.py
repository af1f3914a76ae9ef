"""The contract's error answers on the Flask target, werkzeug's own errors among them."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from scoring import contract
from sync_baseline import worker


def error(status: int, body: dict[str, Any]) -> Response:
    """An error answer in the contract's JSON shape, with its headers."""
    response = Response(contract.encode_json(body), status, mimetype="application/json")
    response.headers.update(contract.error_headers(status))
    return response


def answer(exc: BaseException) -> Response:
    """The contract's answer to an exception of its error table."""
    found = contract.answer_for(exc)
    return error(found.status, found.body)


def init_app(app: Flask, max_body_bytes: int) -> None:
    """Answer werkzeug's errors and "//predict" as the ASGI targets do."""

    @app.before_request
    def refuse_double_slash() -> Response | None:
        if request.path != contract.PREDICT_PATH or request.method != "POST":
            worker.cancel_read_deadline()  # no body to wait for
        if request.environ.get("PATH_INFO", "").startswith("//"):
            # werkzeug matches "//predict" as "/predict"; the ASGI targets answer 404
            worker.cancel_read_deadline()
            return error(404, contract.error_body(contract.NOT_FOUND))
        return None

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        # werkzeug's own errors (405, 413, unknown path) in the contract's JSON shape
        status = exc.code or 500
        if status == 413:
            return error(413, contract.error_body(contract.body_too_large_message(max_body_bytes)))
        if status == 405:
            response = error(405, contract.error_body(contract.METHOD_NOT_ALLOWED))
            response.headers["Allow"] = "POST"
            return response
        if status == 404:
            return error(404, contract.error_body(contract.NOT_FOUND))
        return error(status, contract.error_body(exc.description or exc.name))
