"""Slow clients: 20 that send their body a byte at a time cannot take a target down."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from harness.processes import Managed, start_bare, start_bento, start_nginx, start_sync
from scoring import contract
from scoring.answers import check_answer

pytestmark = pytest.mark.integration

SLOW_CLIENTS = 20
READ_TIMEOUT_S = 2
BODY = b'{"entity_id": "e0000001"}'
CLOSED = {"closed (ConnectionResetError)", "closed (BrokenPipeError)"}
# a short read deadline; and on BentoML few slots, which slow clients must not take
ENV = {"SCORING_REQUEST_READ_TIMEOUT_S": str(READ_TIMEOUT_S), "SCORING_MAX_IN_FLIGHT": "5"}


def _slow_client(port: int, outcome: list[str]) -> None:
    """Send the headers at once, then the body a byte every 0.7 s; record what came back."""
    head = (
        b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(BODY)
    )
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(head)
            for byte in BODY:
                sock.sendall(bytes([byte]))
                # wait for the next byte, unless the server answers first; 0.7 s
                # keeps sends away from the 2 s deadline, when a byte sent just as
                # the server closes would be answered by a reset
                if select.select([sock], [], [], 0.7)[0]:
                    break
            answer = sock.recv(65536)
        status_line = answer.split(b"\r\n", 1)[0].split()
        outcome.append(status_line[1].decode() if len(status_line) > 1 else "closed")
    except OSError as exc:  # a closed connection is an allowed end for a slow client
        outcome.append(f"closed ({type(exc).__name__})")
    outcome.append(f"{time.monotonic() - started:.1f}")


def _under_slow_clients(url: str, seconds: float) -> tuple[list[float], list[int], list[str]]:
    """Good requests one after another while 20 slow clients trickle: latencies, statuses."""
    port = int(url.rsplit(":", 1)[1])
    outcomes: list[list[str]] = [[] for _ in range(SLOW_CLIENTS)]
    slow = [threading.Thread(target=_slow_client, args=(port, o)) for o in outcomes]
    for thread in slow:
        thread.start()
    time.sleep(0.5)  # every slow client connected and holding its request open
    latencies, statuses = [], []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sent = time.monotonic()
        answer = requests.post(url + "/predict", json={"entity_id": "e0000042"}, timeout=30)
        latencies.append(time.monotonic() - sent)
        statuses.append(answer.status_code)
        if answer.status_code == 200:
            assert check_answer("e0000042", answer.json()) is None
    for thread in slow:
        thread.join(timeout=60)
    return latencies, statuses, [o[0] for o in outcomes]


Start = Callable[[Path, str], Managed]


@pytest.fixture(scope="module")
def servers(log_dir: Path, redis_server: Managed) -> Iterator[dict[str, Managed]]:
    started: dict[str, Managed] = {}
    try:
        started["bento"] = start_bento(log_dir, redis_server.url, env=ENV)
        started["bare"] = start_bare(log_dir, redis_server.url, env=ENV)
        started["sync"] = start_sync(log_dir, redis_server.url, workers=2, env=ENV)
        started["nginx"] = start_nginx(log_dir, int(started["sync"].url.rsplit(":", 1)[1]))
        yield started
    finally:
        for server in reversed(started.values()):
            server.stop()


@pytest.mark.parametrize("name", ["bento", "bare", "nginx"])
def test_other_clients_are_served_at_once(name: str, servers: dict[str, Managed]) -> None:
    latencies, statuses, slow = _under_slow_clients(servers[name].url, seconds=4)
    assert set(statuses) == {200}  # on BentoML, slow clients took none of the 5 slots
    assert max(latencies) < 1.0, max(latencies)
    if name != "nginx":  # nginx waits for a slow body as long as bytes keep coming
        # the contract's 408, or a closed connection (a byte that crossed the close)
        assert set(slow) <= {"408", *CLOSED} and slow.count("408") >= SLOW_CLIENTS // 2, slow


def test_the_sync_target_alone_answers_slow_clients_408_at_its_deadline(
    servers: dict[str, Managed],
) -> None:
    # 2 sync workers, 20 slow clients: each holds a worker for the read deadline at
    # most, then gets 408, never gunicorn's worker kill and HTML 500
    _, statuses, slow = _under_slow_clients(servers["sync"].url, seconds=4)
    # one still in the backlog when its last byte arrived is served in full
    assert "408" in slow and set(slow) <= {"408", "200", *CLOSED}, slow
    # meanwhile the others waited behind them, past the 1 s queue budget: 503 with
    # Retry-After, or served late (the reason for the proxy in front)
    assert set(statuses) <= {200, 503}, statuses
    answer = requests.post(servers["sync"].url + "/predict", json={"entity_id": "e1"}, timeout=10)
    assert answer.status_code == 404  # the slow clients gone, answered at once again


def test_the_408_is_the_contract_s(servers: dict[str, Managed]) -> None:
    port = int(servers["bento"].url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 25\r\n\r\n{")
        answer = b""
        while chunk := sock.recv(65536):  # the head and the body may come apart; then a close
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408")
    message = contract.read_timeout_message(READ_TIMEOUT_S)
    assert body == contract.encode_json(contract.error_body(message))
