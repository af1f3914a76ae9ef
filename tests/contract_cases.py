"""The error contract's cases, sent to every target in process and over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scoring.settings import settings


def chunks(size: int) -> Iterator[bytes]:
    yield b'{"entity_id": "'
    for _ in range(size // 1000):
        yield b"x" * 1000
    yield b'"}'


JSON = {"Content-Type": "application/json"}
# name: (method, headers, body, expected status)
# a literal data table (fmt: skip below): one row a line, which the formatter would split
ERROR_CASES: dict[str, tuple[str, dict[str, str], Any, int]] = {
    "unknown entity": ("POST", JSON, b'{"entity_id": "nobody"}', 404),
    "malformed json": ("POST", JSON, b'{"entity_id": ', 400),
    "empty body": ("POST", JSON, b"", 400),
    "not an object": ("POST", JSON, b'["e0000001"]', 400),
    "missing field": ("POST", JSON, b'{"id": "e0000001"}', 400),
    "mistyped field": ("POST", JSON, b'{"entity_id": 7}', 400),
    "null field": ("POST", JSON, b'{"entity_id": null}', 400),
    "empty id": ("POST", JSON, b'{"entity_id": ""}', 400),
    "over-long id": (
        "POST", JSON, b'{"entity_id": "' + b"e" * (settings.entity_id_max_length + 1) + b'"}', 400
    ),
    "id with spaces": ("POST", JSON, b'{"entity_id": "e 1"}', 400),
    "form content type": (
        "POST", {"Content-Type": "application/x-www-form-urlencoded"}, b"entity_id=e1", 415
    ),
    "text content type": ("POST", {"Content-Type": "text/plain"}, b'{"entity_id": "e1"}', 415),
    "oversized body": ("POST", JSON, b"{" + b" " * (settings.max_body_bytes + 10) + b"}", 413),
    "oversized chunked body": ("POST", JSON, "chunked", 413),
    "wrong method": ("GET", {}, None, 405),
    "OPTIONS": ("OPTIONS", {}, None, 405),
    "PUT": ("PUT", JSON, b'{"entity_id": "e0000001"}', 405),
    "oversized header": (
        "POST", {**JSON, "X-Big": "a" * 100_000}, b'{"entity_id": "e0000001"}', 431
    ),
    "too many headers": (
        "POST", {**JSON, **{f"X-H{i}": "v" for i in range(150)}}, b'{"entity_id": "e0000001"}', 431
    ),
}  # fmt: skip
