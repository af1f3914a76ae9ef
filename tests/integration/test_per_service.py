"""The per-service topology, started: deploy/k8s/per-service played by podman with two
entry pods, one ModelA pod and one ModelB pod on one network, Redis beside them.

Checked from the host over real HTTP: the right scores from each entry pod, the
model services merging calls from both entry pods into one batch, and a model pod
restarted under load costing only 200s and the contract's fast 503s.
"""

from __future__ import annotations

import collections
import functools
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from harness import containers, images
from harness.processes import ROOT, http_ready
from scoring.answers import scores_for
from tests import podman_kube
from tests.servers import assert_right_scores, seed_store, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.containers]

PER_SERVICE = ROOT / "deploy" / "k8s" / "per-service"
MODELS = {"scoring-model-a": "model_a", "scoring-model-b": "model_b"}
ENTRY_PODS = ("scoring-entry-pod-0", "scoring-entry-pod-1")  # the Deployment's 2 replicas


@pytest.fixture(scope="module")
def topology(
    built: dict[str, float], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The URLs of both entry pods and both model pods, all ready."""
    network = f"scoring-per-service-{os.getpid()}"
    containers.podman("network", "create", network)
    directory = tmp_path_factory.mktemp("per-service")
    played: list[Path] = []
    redis_id = ""
    try:
        redis_id = podman_kube.run(
            images.REDIS, {}, "--requirepass", podman_kube.KUBE_PASSWORD, network=network
        )
        seed_store(
            f"redis://:{podman_kube.KUBE_PASSWORD}@{podman_kube.ip(redis_id, network)}:6379/0"
        )
        # the model services first, under their Services' names, then the entry that calls them
        for name in (*MODELS, "scoring-entry"):
            manifest = podman_kube.playable(PER_SERVICE / f"{name}.yaml", directory, publish=False)
            played.append(manifest)
            containers.podman("kube", "play", "--replace", f"--network={network}", str(manifest))
            if name in MODELS:
                podman_kube.answer_to(name, f"{name}-pod-0", network)
        urls = {
            pod: f"http://{podman_kube.pod_ip(pod, network)}:3000"
            for pod in (*ENTRY_PODS, *(f"{m}-pod-0" for m in MODELS))
        }
        for url in urls.values():
            wait_for(functools.partial(http_ready, url + "/readyz"), 120)
        yield urls
    finally:
        for manifest in reversed(played):
            containers.podman("kube", "down", str(manifest), check=False)
        if redis_id:
            podman_kube.remove(redis_id)
        containers.podman("network", "rm", "--force", network, check=False)


def _histogram(url: str, metric: str) -> tuple[float, float]:
    """(observations, their sum) of a histogram over all its series on a pod's /metrics."""
    text = requests.get(url + "/metrics", timeout=10).text

    def total(suffix: str) -> float:
        pattern = rf"^{metric}_{suffix}(?:{{[^}}]*}})? (\S+)$"
        return sum(float(v) for v in re.findall(pattern, text, re.M))

    return total("count"), total("sum")


def _grown(url: str, metric: str, before: tuple[float, float]) -> tuple[float, float]:
    """How much a histogram's observations and their sum grew since `before`."""
    count, total = _histogram(url, metric)
    return count - before[0], total - before[1]


def _under_load(
    urls: list[str], seconds: float, during: Callable[[], None] | None = None
) -> collections.Counter[tuple[int, str]]:
    """Eight closed-loop callers per URL for a bounded time; (status, body) of every answer.
    `during` runs once, a second into the load."""
    answers: collections.Counter[tuple[int, str]] = collections.Counter()
    lock = threading.Lock()
    stop = threading.Event()

    def call(url: str, first: int) -> None:
        with requests.Session() as session:
            for sent in range(first, first + 100_000):
                if stop.is_set():
                    return
                entity = f"e{sent % 2000:07d}"
                try:
                    answer = session.post(url + "/predict", json={"entity_id": entity}, timeout=10)
                except requests.RequestException as exc:
                    outcome = (0, type(exc).__name__)  # no answer at all: counted, never lost
                else:
                    right = answer.status_code == 200 and answer.json()["scores"] == scores_for(
                        entity
                    )
                    body = "right" if right else answer.text
                    outcome = (answer.status_code, body)
                with lock:
                    answers[outcome] += 1

    callers = [
        threading.Thread(target=call, args=(url, 1000 * k), daemon=True)
        for url in urls
        for k in range(8)
    ]
    for caller in callers:
        caller.start()
    time.sleep(1)
    if during is not None:
        during()
    time.sleep(seconds)
    stop.set()
    for caller in callers:
        caller.join(timeout=20)
    return answers


def test_each_entry_pod_answers_with_the_right_scores(topology: dict[str, str]) -> None:
    for pod in ENTRY_PODS:
        assert_right_scores(topology[pod])
        ghost = requests.post(topology[pod] + "/predict", json={"entity_id": "ghost"}, timeout=10)
        assert ghost.status_code == 404


def test_one_model_pod_serves_the_batches_of_both_entry_pods(topology: dict[str, str]) -> None:
    """Every item of both entry pods' batches reaches the one pod of each model service, and
    the two pods' calls merge into shared model batches: the model pods' continuous
    batcher regathers its callers (SCORING_MODEL_BATCHER=continuous in their manifests).
    With BentoML's adaptive batcher the pods took turns, about one call per batch
    (docs/cluster.md); here a fifth of the calls saved is required, about half is usual."""
    entries = [topology[pod] for pod in ENTRY_PODS]
    models = {m: topology[f"{m}-pod-0"] for m in MODELS}
    entry_before = [_histogram(url, "scoring_entry_batch_size") for url in entries]
    model_before = {m: _histogram(url, "scoring_model_batch_size") for m, url in models.items()}
    answers = _under_load(entries, seconds=6)
    assert set(answers) == {(200, "right")}, answers
    grown = [
        _grown(url, "scoring_entry_batch_size", before)
        for url, before in zip(entries, entry_before, strict=True)
    ]
    batches, items = [g[0] for g in grown], sum(g[1] for g in grown)
    assert min(batches) > 20, batches  # both entry pods batched and called the models
    for model, url in models.items():
        calls, model_items = _grown(url, "scoring_model_batch_size", model_before[model])
        print(f"{model}: {calls:.0f} calls for the entry pods' {batches} batches of {items:.0f}")
        assert model_items == items, (model, model_items, items)
        assert 0 < calls <= 0.8 * sum(batches), (model, calls, batches)


def test_a_model_pod_restarted_under_load_costs_only_fast_503s(topology: dict[str, str]) -> None:
    entries = [topology[pod] for pod in ENTRY_PODS]
    restarted: list[float] = []

    def restart() -> None:
        started = time.monotonic()
        containers.podman("restart", "--time=5", "scoring-model-a-pod-0-model", timeout=60)
        restarted.append(time.monotonic() - started)

    answers = _under_load(entries, seconds=10, during=restart)
    statuses = collections.Counter(status for status, _ in answers.elements())
    unavailable = (503, '{"error":"model service unavailable"}')
    assert set(answers) <= {(200, "right"), unavailable}, answers
    print(f"restart took {restarted[0]:.1f} s; answers under load: {dict(statuses)}")
    assert statuses[503] > 0, statuses  # the restart was seen
    # and passed: after the load, ModelA is back and both entries answer again
    for url in entries:
        wait_for(functools.partial(http_ready, url + "/readyz"), 60)
        assert requests.post(url + "/predict", json={"entity_id": "e0000001"}, timeout=10).ok


def test_the_comparison_serves_each_service_in_its_own_container(
    image_redis_url: str, log_dir: Path
) -> None:
    """What `./scripts/compare.sh --containers` runs as the per-service rung."""
    server = containers.start_per_service("per-service", images.BENTO, image_redis_url, log_dir, {})
    names = [server.container, *(model.container for model in server.models)]
    try:
        assert len(set(server.pids)) == 3  # the probe measures all three containers
        assert_right_scores(server.url)
        for model, service in zip(server.models, containers.MODEL_SERVICES, strict=True):
            metrics = requests.get(model.url + "/metrics", timeout=10).text
            assert f'runner_name="{service}"' in metrics  # each container serves one service
            assert "Scorer" not in metrics
    finally:
        server.stop()
    running = containers.podman("ps", "--format", "{{.Names}}").stdout.split()
    assert not set(names) & set(running)
