"""The HTTP contract, checked on both targets through real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from harness.processes import Managed
from scoring import contract, features
from scoring.answers import scores_for
from scoring.settings import settings
from scoring.timing import PARTS, parse_server_timing

pytestmark = pytest.mark.integration


def _chunks(size: int) -> Iterator[bytes]:
    yield b'{"entity_id": "'
    for _ in range(size // 1000):
        yield b"x" * 1000
    yield b'"}'


JSON = {"Content-Type": "application/json"}
# name: (method, headers, body, expected status)
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
}  # fmt: skip


def _send(server: Managed, case: str) -> requests.Response:
    method, headers, body, _ = ERROR_CASES[case]
    data = _chunks(settings.max_body_bytes * 2) if body == "chunked" else body
    return requests.request(
        method, server.url + contract.PREDICT_PATH, headers=headers, data=data, timeout=10
    )


def test_same_entity_gives_the_same_scores_on_every_target(
    bento_server: Managed, edge_server: Managed, bare_server: Managed, sync_server: Managed
) -> None:
    for index in (0, 1, 1999):
        entity_id = features.entity_id_for(index)
        answers = [
            requests.post(s.url + "/predict", json={"entity_id": entity_id}, timeout=10)
            for s in (bento_server, edge_server, bare_server, sync_server)
        ]
        assert [a.status_code for a in answers] == [200] * 4
        assert all(a.json() == answers[0].json() for a in answers)
        expected = scores_for(entity_id)
        assert answers[0].json() == {
            "entity_id": entity_id,
            "scores": expected,
            "score": pytest.approx((expected["model_a"] + expected["model_b"]) / 2),
        }


def test_answers_carry_a_server_timing_breakdown(target: Managed) -> None:
    answer = requests.post(target.url + "/predict", json={"entity_id": "e0000003"}, timeout=10)
    parts = parse_server_timing(answer.headers["Server-Timing"])
    assert set(parts) - {"total"} <= set(PARTS)
    assert parts["redis"] > 0
    assert 40 <= parts["model"] <= parts["total"]


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_error_contract_is_identical_on_every_target(
    case: str,
    bento_server: Managed,
    edge_server: Managed,
    bare_server: Managed,
    sync_server: Managed,
) -> None:
    servers = (bento_server, edge_server, bare_server, sync_server)
    answers = [_send(server, case) for server in servers]
    expected_status = ERROR_CASES[case][3]
    assert [a.status_code for a in answers] == [expected_status] * len(servers)
    for answer in answers:
        assert answer.headers["Content-Type"].startswith("application/json")
        assert isinstance(answer.json()["error"], str)
        assert "Traceback" not in answer.text
        assert answer.json() == answers[-1].json()
        if expected_status == 405:
            assert answer.headers["Allow"] == "POST"


def test_unknown_entity_error_names_the_id(target: Managed) -> None:
    answer = requests.post(target.url + "/predict", json={"entity_id": "ghost-42"}, timeout=10)
    assert answer.status_code == 404
    assert "ghost-42" in answer.json()["error"]


def test_health_endpoints(target: Managed) -> None:
    for path in ("/healthz", "/livez", "/readyz"):
        assert requests.get(target.url + path, timeout=10).status_code == 200
