"""The Flask app in process (test_client, fakeredis): the contract without a server."""

from __future__ import annotations

import io
from collections.abc import Iterator

import fakeredis
import pytest
from flask.testing import FlaskClient

from scoring import contract, seed, vectors
from scoring.answers import check_answer
from scoring.settings import settings
from sync_baseline.app import create_app
from tests.contract_cases import ERROR_CASES, chunks

# models that answer at once: the tests are of the contract, not of the sleep
CONFIG = settings.model_copy(update={"model_sleep_min_ms": 0.0, "model_sleep_max_ms": 0.0})


@pytest.fixture(scope="module")
def server() -> fakeredis.FakeServer:
    server = fakeredis.FakeServer()
    seed.seed(fakeredis.FakeRedis(server=server), 50, CONFIG.feature_dim)
    return server


@pytest.fixture
def client(server: fakeredis.FakeServer) -> Iterator[FlaskClient]:
    app = create_app(CONFIG, store=fakeredis.FakeRedis(server=server))
    with app.test_client() as client:
        yield client


def test_a_known_entity_gets_its_scores_and_a_server_timing(client: FlaskClient) -> None:
    entity_id = vectors.entity_id_for(7)
    answer = client.post(contract.PREDICT_PATH, json={"entity_id": entity_id})
    assert answer.status_code == 200
    assert check_answer(entity_id, answer.get_json()) is None
    assert "model;dur=" in answer.headers["Server-Timing"]


# 431 is gunicorn's answer (sync_baseline/worker.py), before the app: tested over HTTP
@pytest.mark.parametrize("case", sorted(c for c in ERROR_CASES if ERROR_CASES[c][3] != 431))
def test_the_error_contract(client: FlaskClient, case: str) -> None:
    method, headers, body, status = ERROR_CASES[case]
    if body == "chunked":  # no Content-Length: the app counts the body as it reads it
        data = b"".join(chunks(settings.max_body_bytes * 2))
        answer = client.open(
            contract.PREDICT_PATH,
            method=method,
            headers=headers,
            input_stream=io.BytesIO(data),
        )
    else:
        answer = client.open(contract.PREDICT_PATH, method=method, headers=headers, data=body)
    assert answer.status_code == status
    assert answer.mimetype == "application/json"
    assert isinstance(answer.get_json()["error"], str)
    assert "Retry-After" not in answer.headers
    if status == 405:
        assert answer.headers["Allow"] == "POST"


def test_a_store_that_is_down_answers_503_with_retry_after_and_is_not_ready() -> None:
    down = fakeredis.FakeServer()
    down.connected = False
    app = create_app(CONFIG, store=fakeredis.FakeRedis(server=down))
    with app.test_client() as client:
        answer = client.post(contract.PREDICT_PATH, json={"entity_id": "e0000001"})
        assert answer.status_code == 503
        assert answer.get_json() == contract.error_body(contract.FEATURE_STORE_UNAVAILABLE)
        assert answer.headers["Retry-After"] == str(contract.RETRY_AFTER_S)
        assert client.get("/readyz").status_code == 503
        assert client.get("/livez").status_code == 200


def test_health_endpoints_answer(client: FlaskClient) -> None:
    for path in ("/healthz", "/livez", "/readyz"):
        assert client.get(path).status_code == 200
