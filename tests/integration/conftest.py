"""Real servers for integration tests: redis-server, bentoml serve and gunicorn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import containers, images
from harness.processes import Managed, free_port, start_bare, start_bento, start_sync
from harness.redis_server import redis_answers, start_redis
from tests import podman_kube
from tests.servers import seed_store, wait_for


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


@pytest.fixture(scope="session")
def built() -> dict[str, float]:
    """The project's images, built once a session; every container test skips, with the
    reason, where no engine can run."""
    problem = containers.engine_problem()
    if problem is not None:
        pytest.skip(problem)
    return images.build_all()


@pytest.fixture(scope="session")
def image_redis_url(built: dict[str, float]) -> Iterator[str]:
    """Redis from its image on the host's network, seeded: the container tests' store."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    container_id = podman_kube.run(images.REDIS, {}, "--port", str(port))
    try:
        wait_for(lambda: redis_answers(url), 30)
        seed_store(url)
        yield url
    finally:
        podman_kube.remove(container_id)
