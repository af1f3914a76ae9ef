"""The images, built and run with podman: Redis, the bento, the Flask baseline and Locust.

Checked from outside the containers, over real HTTP on the host's loopback
(--network host). Where no container can run, every test here is skipped with
the reason, never passed.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness import containers, images
from harness.processes import ROOT, http_ready
from scoring.answers import scores_for
from tests import podman_kube
from tests.servers import (
    TEST_ENTITIES,
    answers_after_idle,
    assert_right_scores,
    seed_store,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.containers]


def _remove(container_id: str) -> None:
    podman_kube.remove(container_id)


@pytest.fixture(scope="module")
def stack(image_redis_url: str, log_dir: Path) -> Iterator[dict[str, containers.Container]]:
    """Both targets served from their images, as the comparison's --containers serves them."""
    started: dict[str, containers.Container] = {}
    try:
        for kind, image in (("bento", images.BENTO), ("sync", images.SYNC)):
            started[kind] = containers.start(kind, image, kind, image_redis_url, log_dir, {})
        yield started
    finally:
        for container in started.values():
            container.stop()


def test_images_are_reported_with_their_sizes(built: dict[str, float]) -> None:
    assert set(built) == {images.REDIS, images.SYNC, images.LOCUST, images.BENTO}
    assert all(size > 10 for size in built.values())


@pytest.mark.parametrize("target", ["bento", "sync"])
def test_a_target_container_answers_the_contract(
    target: str, stack: dict[str, containers.Container]
) -> None:
    url = stack[target].url
    assert_right_scores(url)
    assert (
        requests.post(url + "/predict", json={"entity_id": "ghost"}, timeout=10).status_code == 404
    )
    assert requests.post(url + "/predict", data=b"{", timeout=10).status_code == 400
    assert requests.options(url + "/predict", timeout=10).status_code == 405


def test_the_locust_image_drives_a_target_container(
    stack: dict[str, containers.Container],
) -> None:
    done = containers.podman(
        "run",
        "--rm",
        "--network=host",
        images.LOCUST,
        "-H",
        stack["bento"].url,
        "--headless",
        "-u",
        "10",
        "-r",
        "10",
        "-t",
        "4s",
        "--only-summary",
        "--exit-code-on-error",
        "1",
        "--entities",
        str(TEST_ENTITIES),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Aggregated" in done.stdout + done.stderr


def test_the_bento_container_keeps_an_idle_connection_past_uvicorns_default(
    stack: dict[str, containers.Container],
) -> None:
    assert answers_after_idle(stack["bento"].url, idle_s=6.5) == 200


@pytest.mark.parametrize("image", [images.BENTO, images.SYNC])
def test_a_fatal_configuration_stops_the_container_with_a_failure_status(
    image: str, image_redis_url: str
) -> None:
    url = image_redis_url.rsplit("/", 1)[0] + "/99"  # redis-server has 16 databases
    done = containers.podman(
        "run", "--rm", "--network=host", f"--env=REDIS_URL={url}", image, timeout=120, check=False
    )
    assert done.returncode != 0, done.stdout + done.stderr
    assert "DB index is out of range" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("target", ["sync", "bento"])  # last: the others need Redis and bento
def test_a_target_container_stops_cleanly_on_sigterm(
    target: str, stack: dict[str, containers.Container]
) -> None:
    started = time.monotonic()
    code = stack[target].stop(grace_s=30)  # SIGTERM to `podman run`, which passes it on
    elapsed = time.monotonic() - started
    assert elapsed < 30, elapsed  # SIGTERM handled: no SIGKILL at the grace period's end
    assert code in (0, 143), code  # exited on SIGTERM, not killed (137)


@pytest.fixture(scope="module")
def kube(
    built: dict[str, float], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The two targets' manifests played by podman on a network of their own, Redis beside them."""
    images.ensure_nginx()
    network = f"scoring-kube-{os.getpid()}"
    containers.podman("network", "create", network)
    directory = tmp_path_factory.mktemp("manifests")
    manifests = [
        str(podman_kube.playable(ROOT / "deploy" / "k8s" / f, directory))
        for f in ("bento.yaml", "base/sync-baseline.yaml")
    ]
    redis_id = ""
    try:
        # the StatefulSet is not something podman plays: Redis runs as a container
        # answering to the Service's name, "redis", on the pods' network, with a password
        redis_id = podman_kube.run(
            images.REDIS, {}, "--requirepass", podman_kube.KUBE_PASSWORD, network=network
        )
        for manifest in manifests:
            containers.podman("kube", "play", "--replace", f"--network={network}", manifest)
        # podman 4.3 gives a ConfigMap's volume directory no execute bit, so a
        # non-root container cannot read the file in it: open it, restart the proxy
        mountpoint = containers.podman(
            "volume", "inspect", "scoring-sync-nginx", "--format", "{{.Mountpoint}}"
        ).stdout.strip()
        Path(mountpoint).chmod(0o755)
        containers.podman("restart", "--time=2", "scoring-sync-pod-0-proxy")
        seed_store(
            f"redis://:{podman_kube.KUBE_PASSWORD}@{podman_kube.ip(redis_id, network)}:6379/0"
        )
        urls = {
            "bento": f"http://{podman_kube.pod_ip('scoring-bento-pod-0', network)}:3000",
            "sync": f"http://{podman_kube.pod_ip('scoring-sync-pod-0', network)}:8080",
        }
        for url in urls.values():
            wait_for(functools.partial(http_ready, url + "/readyz"), 120)
        yield urls
    finally:
        for manifest in manifests:
            containers.podman("kube", "down", manifest, check=False)
        if redis_id:
            _remove(redis_id)
        containers.podman("volume", "rm", "--force", "scoring-sync-nginx", check=False)
        containers.podman("network", "rm", "--force", network, check=False)


@pytest.mark.parametrize("target", ["bento", "sync"])
def test_the_manifests_played_by_podman_serve_on_their_declared_ports(
    target: str, kube: dict[str, str]
) -> None:
    answer = requests.post(kube[target] + "/predict", json={"entity_id": "e0000042"}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["scores"] == scores_for("e0000042")
