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
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["REDIS_URL"] == "redis://:$(REDIS_PASSWORD)@redis:6379/0"
    hpa = docs[("HorizontalPodAutoscaler", "scoring-bento")]
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_the_sync_target_is_reached_only_through_its_buffering_proxy() -> None:
    docs = _documents()
    pod = docs[("Deployment", "scoring-sync")]
    sync, proxy = _named(pod, "sync"), _named(pod, "proxy")
    assert {e["name"]: e.get("value") for e in sync["env"]}["SYNC_BIND"] == "127.0.0.1:5000"
    service_port = docs[("Service", "scoring-sync")]["spec"]["ports"][0]["targetPort"]
    assert service_port in [p["name"] for p in proxy["ports"]]
    config = docs[("ConfigMap", "scoring-sync-nginx")]["data"]["nginx.conf"]
    assert config == (ROOT / "deploy" / "nginx" / "sync_baseline.conf").read_text()


def _pods() -> dict[str, dict[str, Any]]:
    return {
        name: doc["spec"]["template"]["spec"]
        for (kind, name), doc in _documents().items()
        if kind in ("Deployment", "StatefulSet", "Job")
    }


def test_every_pod_runs_as_a_numeric_non_root_user_under_the_default_seccomp_profile() -> None:
    for name, pod in _pods().items():
        security = pod["securityContext"]
        assert security["runAsNonRoot"] is True, name
        assert security["runAsUser"] > 0, name
        assert security["seccompProfile"] == {"type": "RuntimeDefault"}, name


def test_no_container_can_gain_privileges_or_keeps_a_capability() -> None:
    for name, pod in _pods().items():
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, (name, container["name"])
            assert security["capabilities"] == {"drop": ["ALL"]}, (name, container["name"])


def _secret_ref(container: dict[str, Any], variable: str) -> dict[str, str]:
    found = next(e for e in container["env"] if e["name"] == variable)
    ref: dict[str, str] = found["valueFrom"]["secretKeyRef"]
    return ref


def test_redis_asks_every_client_for_the_password_of_one_secret() -> None:
    password = {"name": "redis-auth", "key": "password"}
    pods = _pods()
    redis = _named({"spec": {"template": {"spec": pods["redis"]}}}, "redis")
    args = redis["args"]
    assert args[args.index("--requirepass") + 1] == "$(REDIS_PASSWORD)"
    assert args[args.index("--protected-mode") + 1] == "yes"
    assert _secret_ref(redis, "REDIS_PASSWORD") == _secret_ref(redis, "REDISCLI_AUTH") == password
    clients = 0
    for name, pod in pods.items():
        for container in pod["containers"]:
            names = [e["name"] for e in container.get("env", [])]
            if "REDIS_URL" not in names:
                continue
            clients += 1
            # Kubernetes expands $(REDIS_PASSWORD) only from a variable defined before
            assert names.index("REDIS_PASSWORD") < names.index("REDIS_URL"), name
            assert _secret_ref(container, "REDIS_PASSWORD") == password, name
    assert clients == 3  # the two targets and the seed job
    assert not [d for (kind, _), d in _documents().items() if kind == "Secret"]  # never committed


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
