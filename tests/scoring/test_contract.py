"""Request validation and error bodies shared by both targets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from scoring import contract
from scoring.timing import Timer, parse_server_timing


@pytest.mark.parametrize(
    ("content_type", "accepted"),
    [
        (None, True),
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/problem+json", True),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
    ],
)
def test_json_media_types(content_type: str | None, accepted: bool) -> None:
    assert contract.is_json_media_type(content_type) is accepted


@pytest.mark.parametrize(
    ("raw", "error_type"),
    [
        (b"{bad", "json_invalid"),
        (b"[]", "model_type"),
        (b"{}", "missing"),
        (b'{"entity_id": 5}', "string_type"),
        (b'{"entity_id": ""}', "string_too_short"),
        (b'{"entity_id": "a b"}', "string_pattern_mismatch"),
        (b'{"entity_id": "' + b"x" * 500 + b'"}', "string_too_long"),
    ],
)
def test_validation_errors_say_what_is_wrong(raw: bytes, error_type: str) -> None:
    with pytest.raises(ValidationError) as caught:
        contract.PredictRequest.model_validate_json(raw)
    body = contract.validation_error_body(caught.value)
    assert body["error"] == "1 validation error for Input"
    assert [d["type"] for d in body["detail"]] == [error_type]
    assert "input" not in body["detail"][0]


def test_response_score_is_the_mean() -> None:
    answer = contract.build_response("e1", 0.25, 0.75)
    assert answer.model_dump() == {
        "entity_id": "e1",
        "scores": {"model_a": 0.25, "model_b": 0.75},
        "score": 0.5,
    }


def test_error_json_is_compact_like_starlette() -> None:
    assert contract.encode_json(contract.unknown_entity_body("zz")) == (
        b'{"error":"unknown entity_id: \'zz\'"}'
    )


def test_server_timing_round_trip() -> None:
    timer = Timer()
    timer.add("redis", 1.5)
    timer.add("model", 40.0)
    parsed = parse_server_timing(timer.header())
    assert parsed["redis"] == 1.5
    assert parsed["model"] == 40.0
    assert parsed["total"] >= parsed["app"] >= 0
