"""The queue wait the sync baseline sheds on, read from real loopback sockets."""

from __future__ import annotations

import socket
import sys
import time

import pytest

from sync_baseline.admission import queue_wait_ms

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="TCP_INFO layout is Linux's")


def test_the_wait_is_the_time_since_the_request_arrived() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        client.sendall(b"POST /predict HTTP/1.1\r\n\r\n")
        time.sleep(0.2)  # the request sits in the backlog, as behind busy workers
        accepted, _ = server.accept()
        with client, accepted:
            waited = queue_wait_ms(accepted)
            assert waited is not None
            assert 150 <= waited < 2000
            # data that just arrived has not waited
            client.sendall(b"more")
            time.sleep(0.01)
            accepted.recv(1024)
            assert (queue_wait_ms(accepted) or 0) < 150


def test_without_a_tcp_socket_the_wait_is_unknown() -> None:
    assert queue_wait_ms(None) is None
    left, right = socket.socketpair()
    with left, right:
        assert queue_wait_ms(left) is None
