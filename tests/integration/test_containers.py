"""The images, built and run with podman: Redis, the bento, the Flask baseline and Locust.

Checked from outside the containers, over real HTTP on the host's loopback
(--network host). Where no container can run, every test here is skipped with
the reason, never passed.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from harness import containers
from harness.processes import free_port, http_ready
from harness.redis_server import redis_answers
from scoring.answers import scores_for
from tests.servers import TEST_ENTITIES, seed_store, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.containers]


@dataclass(frozen=True)
class Running:
    container_id: str
    url: str


@pytest.fixture(scope="module")
def images() -> dict[str, float]:
    problem = containers.engine_problem()
    if problem is not None:
        pytest.skip(problem)
    return containers.build_all()


def _run(image: str, env: dict[str, str], *args: str) -> str:
    options = [f"--env={k}={v}" for k, v in env.items()]
    done = containers.podman("run", "--detach", "--network=host", *options, image, *args)
    return done.stdout.strip()


def _remove(container_id: str) -> None:
    containers.podman("rm", "--force", "--time=5", container_id, check=False)


@pytest.fixture(scope="module")
def stack(images: dict[str, float]) -> Iterator[dict[str, Running]]:
    started: dict[str, Running] = {}
    try:
        port = free_port()
        redis_url = f"redis://127.0.0.1:{port}/0"
        started["redis"] = Running(_run(containers.REDIS, {}, "--port", str(port)), redis_url)
        wait_for(lambda: redis_answers(redis_url), 30)
        seed_store(redis_url)
        bento, sync = free_port(), free_port()
        started["bento"] = Running(
            _run(containers.BENTO, {"REDIS_URL": redis_url, "PORT": str(bento)}),
            f"http://127.0.0.1:{bento}",
        )
        started["sync"] = Running(
            _run(containers.SYNC, {"REDIS_URL": redis_url, "SYNC_BIND": f"127.0.0.1:{sync}"}),
            f"http://127.0.0.1:{sync}",
        )
        for name in ("bento", "sync"):
            wait_for(functools.partial(http_ready, started[name].url + "/readyz"), 120)
        yield started
    finally:
        for running in started.values():
            _remove(running.container_id)


def test_images_are_reported_with_their_sizes(images: dict[str, float]) -> None:
    assert set(images) == {containers.REDIS, containers.SYNC, containers.LOCUST, containers.BENTO}
    assert all(size > 10 for size in images.values())


@pytest.mark.parametrize("target", ["bento", "sync"])
def test_a_target_container_answers_the_contract(target: str, stack: dict[str, Running]) -> None:
    url = stack[target].url
    for index in (0, 7, 1999):
        entity_id = f"e{index:07d}"
        answer = requests.post(url + "/predict", json={"entity_id": entity_id}, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.json()["scores"] == scores_for(entity_id)
    assert (
        requests.post(url + "/predict", json={"entity_id": "ghost"}, timeout=10).status_code == 404
    )
    assert requests.post(url + "/predict", data=b"{", timeout=10).status_code == 400
    assert requests.options(url + "/predict", timeout=10).status_code == 405


def test_the_locust_image_drives_a_target_container(stack: dict[str, Running]) -> None:
    done = containers.podman(
        "run", "--rm", "--network=host", containers.LOCUST,
        "-H", stack["bento"].url, "--headless", "-u", "10", "-r", "10", "-t", "4s",
        "--only-summary", "--exit-code-on-error", "1", "--entities", str(TEST_ENTITIES),
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Aggregated" in done.stdout + done.stderr


@pytest.mark.parametrize("target", ["sync", "bento"])  # last: the others need Redis and bento
def test_a_target_container_stops_cleanly_on_sigterm(
    target: str, stack: dict[str, Running]
) -> None:
    started = time.monotonic()
    containers.podman("stop", "--time=30", stack[target].container_id, timeout=60)
    elapsed = time.monotonic() - started
    code = containers.podman(
        "inspect", "--format", "{{.State.ExitCode}}", stack[target].container_id
    ).stdout.strip()
    assert elapsed < 30, elapsed  # SIGTERM handled: no SIGKILL at the grace period's end
    assert code in ("0", "143"), code  # exited on SIGTERM, not killed (137)
