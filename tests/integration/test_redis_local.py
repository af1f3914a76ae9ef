"""The throwaway Redis never writes into a server it did not start."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from harness import redis_local
from harness.processes import running
from harness.redis_server import start_redis
from scoring import vectors

pytestmark = pytest.mark.integration


def test_a_port_taken_by_another_server_is_refused_and_that_server_is_untouched(
    log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running(start_redis(log_dir)) as other:
        client = redis.Redis.from_url(other.url)
        client.set("theirs", "keep me")
        port = other.url.rsplit(":", 1)[1].split("/")[0]
        assert redis_local.main(["--port", port, "--entities", "10"]) == 2
        assert f"port {port} is in use" in capsys.readouterr().err
        assert client.keys() == [b"theirs"]  # nothing seeded, nothing overwritten
        assert client.hget(vectors.META_KEY, "entities") is None
        client.close()
