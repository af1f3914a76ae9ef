"""Real servers for integration tests: redis-server, bentoml serve and gunicorn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.processes import Managed, start_bare, start_bento, start_sync
from harness.redis_server import start_redis
from tests.servers import seed_store


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server-logs")


@pytest.fixture(scope="session")
def redis_server(log_dir: Path) -> Iterator[Managed]:
    server = start_redis(log_dir)
    try:
        seed_store(server.url)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def bento_server(log_dir: Path, redis_server: Managed) -> Iterator[Managed]:
    server = start_bento(log_dir, redis_server.url)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def edge_server(log_dir: Path, redis_server: Managed) -> Iterator[Managed]:
    server = start_bento(log_dir, redis_server.url, service="service.edge:EdgeScorer")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bare_server(log_dir: Path, redis_server: Managed) -> Iterator[Managed]:
    server = start_bare(log_dir, redis_server.url)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sync_server(log_dir: Path, redis_server: Managed) -> Iterator[Managed]:
    server = start_sync(log_dir, redis_server.url, workers=3)
    yield server
    server.stop()


@pytest.fixture(params=["bento", "edge", "bare", "sync"])
def target(request: pytest.FixtureRequest) -> Managed:
    """Each test that takes it runs once against each target."""
    server: Managed = request.getfixturevalue(f"{request.param}_server")
    return server
