"""The HTTP contract, checked on both targets through real HTTP."""

from __future__ import annotations

import re
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
import requests

from harness.processes import Managed
from scoring import contract, vectors
from scoring.answers import scores_for
from scoring.settings import settings
from scoring.timing import PARTS, parse_server_timing
from tests.contract_cases import ERROR_CASES, chunks
from tests.servers import BAD_ENTITIES, HUGE_ENTITY

pytestmark = pytest.mark.integration
Targets = tuple[Managed, ...]


@pytest.fixture
def every_target(
    bento_server: Managed, edge_server: Managed, bare_server: Managed, sync_server: Managed
) -> Targets:
    """The four targets, for the tests that require the same answer from each."""
    return (bento_server, edge_server, bare_server, sync_server)


def _send(server: Managed, case: str) -> requests.Response:
    method, headers, body, _ = ERROR_CASES[case]
    data = chunks(settings.max_body_bytes * 2) if body == "chunked" else body
    return requests.request(
        method, server.url + contract.PREDICT_PATH, headers=headers, data=data, timeout=10
    )


def test_same_entity_gives_the_same_scores_on_every_target(
    every_target: Targets,
) -> None:
    for index in (0, 1, 1999):
        entity_id = vectors.entity_id_for(index)
        answers = [
            requests.post(s.url + "/predict", json={"entity_id": entity_id}, timeout=10)
            for s in every_target
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
    every_target: Targets,
) -> None:
    servers = every_target
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


@pytest.mark.parametrize("entity_id", list(BAD_ENTITIES))
def test_a_bad_stored_vector_answers_the_same_500_on_every_target(
    entity_id: str,
    every_target: Targets,
) -> None:
    servers = every_target
    answers = [
        requests.post(s.url + "/predict", json={"entity_id": entity_id}, timeout=10)
        for s in servers
    ]
    problem = BAD_ENTITIES[entity_id][1]
    for answer in answers:
        assert answer.status_code == contract.BAD_FEATURES_STATUS
        assert "Retry-After" not in answer.headers  # a retry gets the same answer
        assert answer.json() == {"error": f"bad features for entity_id {entity_id!r}: {problem}"}


def test_a_bad_vector_fails_only_its_own_request_of_a_batch(target: Managed) -> None:
    # 20 at once: they share batches, and 3 sync workers answer them within their queue budget
    good = [vectors.entity_id_for(i) for i in range(16)]
    ids = [*good[:8], *BAD_ENTITIES, *good[8:]]
    with ThreadPoolExecutor(max_workers=len(ids)) as pool:  # concurrent: they share batches
        answers = list(
            pool.map(
                lambda e: requests.post(target.url + "/predict", json={"entity_id": e}, timeout=30),
                ids,
            )
        )
    for entity_id, answer in zip(ids, answers, strict=True):
        if entity_id in BAD_ENTITIES:
            assert answer.status_code == contract.BAD_FEATURES_STATUS, answer.text
        else:
            assert answer.status_code == 200, answer.text
            assert answer.json()["scores"] == scores_for(entity_id)


def test_a_huge_finite_vector_scores_without_overflow(
    every_target: Targets,
) -> None:
    servers = every_target
    answers = [
        requests.post(s.url + "/predict", json={"entity_id": HUGE_ENTITY[0]}, timeout=10)
        for s in servers
    ]
    assert [a.status_code for a in answers] == [200] * 4
    assert all(a.json() == answers[0].json() for a in answers)
    assert all(0.0 <= value <= 1.0 for value in answers[0].json()["scores"].values())


def test_unknown_entity_error_names_the_id(target: Managed) -> None:
    answer = requests.post(target.url + "/predict", json={"entity_id": "ghost-42"}, timeout=10)
    assert answer.status_code == 404
    assert "ghost-42" in answer.json()["error"]


def test_health_endpoints(target: Managed) -> None:
    for path in ("/healthz", "/livez", "/readyz"):
        assert requests.get(target.url + path, timeout=10).status_code == 200


def _raw(server: Managed, request: bytes) -> tuple[int, str, bytes]:
    """Send bytes as they are; return the status, the Content-Type and the body."""
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines[1:])
    content_type = {k.lower(): v for k, v in fields.items()}["content-type"]
    return int(lines[0].split()[1]), content_type, body


BODY = b'{"entity_id": "e0000001"}'
CHUNKED = (
    b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
)
# name: (raw request, status); each has Connection: close, so the server ends the answer
# a literal data table (fmt: skip below): one row a line, which the formatter would split
RAW_CASES = {
    "double slash": (b"POST //predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 25\r\nConnection: close\r\n\r\n" + BODY, 404),
    "unknown path": (b"GET /no-such-page HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 404),
    "Transfer-Encoding with Content-Length": (
        b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Content-Length: 25\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"19\r\n" + BODY + b"\r\n0\r\n\r\n", 400,
    ),
    "trailing slash": (b"POST /predict/ HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 25\r\nConnection: close\r\n\r\n" + BODY, 404),
    "two Host headers": (b"POST /predict HTTP/1.1\r\nHost: t\r\nHost: u\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 25\r\n"
                         b"Connection: close\r\n\r\n" + BODY, 400),
    "chunk size not hex": (CHUNKED + b"zz\r\n" + BODY + b"\r\n0\r\n\r\n", 400),
    "chunk without its CRLF": (CHUNKED + b"19\r\n" + BODY + b"XX0\r\n\r\n", 400),
}  # fmt: skip
MALFORMED_BODIES = ("chunk size not hex", "chunk without its CRLF")


@pytest.mark.parametrize("case", list(RAW_CASES))
def test_hostile_requests_get_the_same_answer_on_every_target(
    case: str,
    every_target: Targets,
) -> None:
    request, status = RAW_CASES[case]
    answers = [_raw(s, request) for s in every_target]
    assert {a[0] for a in answers} == {status}
    assert len(set(answers)) == 1, answers  # same status, Content-Type and bytes


def test_client_errors_are_logged_as_one_line_without_traceback(target: Managed) -> None:
    before = target.log_path.read_text(errors="replace").count("Traceback")
    for case in ("malformed json", "missing field", "oversized header", "OPTIONS"):
        assert _send(target, case).status_code == ERROR_CASES[case][3]
    for case in MALFORMED_BODIES:
        assert _raw(target, RAW_CASES[case][0])[0] == 400
    time.sleep(0.5)  # the server's log is written by another process
    assert target.log_path.read_text(errors="replace").count("Traceback") == before


def _tree_rss_mb(pid: int) -> float:
    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 1e6


def test_a_random_path_flood_leaves_the_metrics_and_memory_flat(target: Managed) -> None:
    session = requests.Session()

    def flood(count: int) -> None:
        for _ in range(count):
            assert session.get(f"{target.url}/{uuid.uuid4().hex}", timeout=10).status_code == 404

    flood(20)  # the first unknown paths add the one "unmatched" label's series
    size, rss = len(session.get(target.url + "/metrics", timeout=10).text), _tree_rss_mb(target.pid)
    flood(3_000)  # issue 22: a flood of 3,000
    text = session.get(target.url + "/metrics", timeout=10).text
    # unbounded, 500 paths grew the BentoML entry's /metrics from 29 KB to 2 MB and it by 43 MB
    assert len(text) <= 1.1 * size, (size, len(text))
    assert _tree_rss_mb(target.pid) - rss < 20
    if target.name.startswith(("bento", "sync")):  # the bare app counts only /predict
        assert 'endpoint="unmatched"' in text
    if target.name.startswith("bento"):  # a route keeps its own label
        answer = session.post(target.url + "/predict", json={"entity_id": "e0000001"}, timeout=10)
        assert answer.status_code == 200
        text = session.get(target.url + "/metrics", timeout=10).text
        assert re.search(
            r'request_total\{endpoint="/predict",http_response_code="200"[^}]*\} [1-9]', text
        )
