"""The Kubernetes manifests validate offline and keep the comparison fair."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.processes import BIN, ROOT

K8S = ROOT / "deploy" / "k8s"
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def _documents() -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for path in MANIFESTS:
        for doc in yaml.safe_load_all(path.read_text()):
            found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


def _container(doc: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = doc["spec"]["template"]["spec"]["containers"][0]
    return container


@pytest.mark.integration  # a kubernetes-validate process per manifest
@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.name)
def test_manifest_passes_strict_schema_validation(manifest: Path) -> None:
    validator = shutil.which("kubernetes-validate", path=str(BIN)) or "kubernetes-validate"
    done = subprocess.run(
        [validator, "--strict", str(manifest)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed" in done.stdout + done.stderr


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == [p.name for p in MANIFESTS]


def _named(doc: dict[str, Any], name: str) -> dict[str, Any]:
    containers: list[dict[str, Any]] = doc["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == name)


def _pod_total(doc: dict[str, Any], limit: str) -> tuple[float, float]:
    """CPUs and MiB over every container of a pod template."""
    cpus = mib = 0.0
    for container in doc["spec"]["template"]["spec"]["containers"]:
        cpu, memory = (container["resources"][limit][k] for k in ("cpu", "memory"))
        cpus += float(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu)
        mib += float(memory[:-2]) * (1024 if memory.endswith("Gi") else 1)
    return cpus, mib


def test_both_targets_get_the_same_resources_and_probes() -> None:
    docs = _documents()
    bento_pod, sync_pod = (
        docs[("Deployment", "scoring-bento")],
        docs[("Deployment", "scoring-sync")],
    )
    for limit in ("requests", "limits"):
        assert _pod_total(bento_pod, limit) == _pod_total(sync_pod, limit) == (2.0, 2048.0)
    bento, sync = _container(bento_pod), _named(sync_pod, "sync")
    for container in (bento, sync):
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
        env = {e["name"]: e["value"] for e in container["env"]}
        assert env["REDIS_URL"] == "redis://redis:6379/0"
    hpa = docs[("HorizontalPodAutoscaler", "scoring-bento")]
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_the_sync_target_is_reached_only_through_its_buffering_proxy() -> None:
    docs = _documents()
    pod = docs[("Deployment", "scoring-sync")]
    sync, proxy = _named(pod, "sync"), _named(pod, "proxy")
    assert {e["name"]: e["value"] for e in sync["env"]}["SYNC_BIND"] == "127.0.0.1:5000"
    service_port = docs[("Service", "scoring-sync")]["spec"]["ports"][0]["targetPort"]
    assert service_port in [p["name"] for p in proxy["ports"]]
    config = docs[("ConfigMap", "scoring-sync-nginx")]["data"]["nginx.conf"]
    assert config == (ROOT / "deploy" / "nginx" / "sync_baseline.conf").read_text()


def test_every_pod_runs_as_a_numeric_non_root_user() -> None:
    for (kind, name), doc in _documents().items():
        if kind in ("Deployment", "StatefulSet", "Job"):
            security = doc["spec"]["template"]["spec"]["securityContext"]
            assert security["runAsNonRoot"] is True, name
            assert security["runAsUser"] > 0, name


def test_locust_runs_distributed_with_the_projects_locustfile() -> None:
    docs = _documents()
    master = _container(docs[("Job", "locust-master")])
    worker = _container(docs[("Deployment", "locust-worker")])
    assert "--master" in master["args"]
    assert "--expect-workers" in master["args"]
    assert worker["args"][:3] == ["--worker", "--master-host", "locust-master"]
    dockerfile = (ROOT / "deploy" / "locust.Dockerfile").read_text()
    assert 'ENTRYPOINT ["locust", "-f", "locustfile.py"]' in dockerfile


def test_images_named_in_manifests_are_the_ones_the_cluster_page_builds() -> None:
    readme = (ROOT / "docs" / "cluster.md").read_text()
    images = {
        _container(doc)["image"]
        for doc in _documents().values()
        if doc["kind"] in ("Deployment", "Job")
    }
    for image in images - {"redis:7.2-alpine"}:
        assert image.split(":")[0] in readme, image
