"""The HTTP contract, checked on both targets through real HTTP."""

from __future__ import annotations

import pytest
import requests

from harness.processes import Managed
from scoring import contract, features
from scoring.answers import scores_for
from scoring.settings import settings
from scoring.timing import PARTS, parse_server_timing
from tests.contract_cases import ERROR_CASES, chunks

pytestmark = pytest.mark.integration


def _send(server: Managed, case: str) -> requests.Response:
    method, headers, body, _ = ERROR_CASES[case]
    data = chunks(settings.max_body_bytes * 2) if body == "chunked" else body
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
