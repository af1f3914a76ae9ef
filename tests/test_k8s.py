"""The Kubernetes manifests validate offline and keep the comparison fair."""

from __future__ import annotations

import json
import shutil
import subprocess
import types
import typing
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml
from cloudcoil.models.keda.v1alpha1 import ScaledObject

from harness import containers
from harness.processes import BIN, ROOT
from scoring.settings import Settings

K8S = ROOT / "deploy" / "k8s"
KUSTOMIZATIONS = sorted(K8S.rglob("kustomization.yaml"))
# KEDA's ScaledObjects: no Kubernetes schema has them; checked against KEDA's own below
SCALED_OBJECTS = K8S / "per-service" / "scaledobjects.yaml"
MANIFESTS = sorted(
    p for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml" and p != SCALED_OBJECTS
)
# the committed run whose shipped-target capacity sets the entry's autoscaling threshold
THRESHOLD_RUN = ROOT / "docs" / "results" / "quick-20261203T135502Z" / "summary.json"


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


def _resources(kustomization: Path) -> set[Path]:
    """The manifest files a kustomization applies, through the bases it names."""
    found: set[Path] = set()
    for entry in yaml.safe_load(kustomization.read_text())["resources"]:
        path = (kustomization.parent / entry).resolve()
        assert path.exists(), (kustomization, entry)
        found |= _resources(path / "kustomization.yaml") if path.is_dir() else {path}
    return found


def test_every_manifest_is_applied_by_a_kustomization() -> None:
    applied = set().union(*(_resources(k) for k in KUSTOMIZATIONS))
    assert applied == {*MANIFESTS, SCALED_OBJECTS}


def test_each_topology_serves_the_bento_once_beside_the_shared_base() -> None:
    single, per_service = (
        _resources(K8S / "kustomization.yaml"),
        _resources(K8S / "per-service" / "kustomization.yaml"),
    )
    base = _resources(K8S / "base" / "kustomization.yaml")
    assert single - base == {K8S / "bento.yaml"}
    assert {p.name for p in per_service - base} == {
        "scoring-entry.yaml",
        "scoring-model-a.yaml",
        "scoring-model-b.yaml",
        "scaledobjects.yaml",
    }
    # the per-service topology sends the load to the entry: its patch names the variable
    patch = yaml.safe_load(
        yaml.safe_load((K8S / "per-service" / "kustomization.yaml").read_text())["patches"][0][
            "patch"
        ]
    )
    master = _container(_documents()[("Job", "locust-master")])
    assert patch[0] == {
        "op": "test",
        "path": "/spec/template/spec/containers/0/env/0/name",
        "value": "LOCUST_HOST",
    }
    assert master["env"][0]["name"] == "LOCUST_HOST"
    assert patch[1]["value"] == "http://scoring-entry:3000"


def _named(doc: dict[str, Any], name: str) -> dict[str, Any]:
    containers: list[dict[str, Any]] = doc["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == name)


def _cpus_and_mib(resources: dict[str, str]) -> tuple[float, float]:
    """A container's CPU and memory quantities ("500m", "2"; "512Mi", "2Gi") in CPUs and MiB."""
    cpu, memory = resources["cpu"], resources["memory"]
    cpus = float(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu)
    return cpus, float(memory[:-2]) * (1024 if memory.endswith("Gi") else 1)


def _pod_total(doc: dict[str, Any], limit: str) -> tuple[float, float]:
    """CPUs and MiB over every container of a pod template."""
    cpus = mib = 0.0
    for container in doc["spec"]["template"]["spec"]["containers"]:
        container_cpus, container_mib = _cpus_and_mib(container["resources"][limit])
        cpus, mib = cpus + container_cpus, mib + container_mib
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
    assert clients == 4  # the two targets, the per-service entry and the seed job
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


def _unknown_keys(model: Any, data: Any, path: str = "") -> list[str]:
    """Keys of data that the pydantic model has no field for, at any depth: KEDA's schema
    would prune them silently, so a misspelt setting would vanish without an error."""
    annotation = model
    while typing.get_origin(annotation) in (typing.Union, types.UnionType, list):
        if typing.get_origin(annotation) is list:
            return [
                k
                for i, item in enumerate(data)
                for k in _unknown_keys(typing.get_args(annotation)[0], item, f"{path}[{i}]")
            ]
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if not (isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel)):
        return []  # a scalar or a free map (a trigger's metadata)
    fields = {f.alias or name: f.annotation for name, f in annotation.model_fields.items()}
    unknown = []
    for key, value in data.items():
        if key not in fields:
            unknown.append(f"{path}.{key}")
        else:
            unknown += _unknown_keys(fields[key], value, f"{path}.{key}")
    return unknown


def _scaled_objects() -> list[dict[str, Any]]:
    return list(yaml.safe_load_all(SCALED_OBJECTS.read_text()))


@pytest.mark.parametrize("document", _scaled_objects(), ids=lambda d: d["metadata"]["name"])
def test_scaled_objects_pass_kedas_schema_with_no_unknown_key(document: dict[str, Any]) -> None:
    ScaledObject.model_validate(document)  # KEDA 2.16's ScaledObject CRD schema
    assert _unknown_keys(ScaledObject, document) == []


def test_the_unknown_key_check_finds_a_misspelt_setting() -> None:
    document = json.loads(json.dumps(_scaled_objects()[0]))
    document["spec"]["minReplicaCout"] = 2
    document["spec"]["triggers"][0]["metricTyp"] = "Value"
    ScaledObject.model_validate(document)  # the schema alone accepts both
    assert _unknown_keys(ScaledObject, document) == [
        ".spec.triggers[0].metricTyp",
        ".spec.minReplicaCout",
    ]


def test_each_deployment_of_the_per_service_topology_scales_on_its_own_metrics() -> None:
    docs = _documents()
    for scaled in _scaled_objects():
        name = scaled["spec"]["scaleTargetRef"]["name"]
        pod = docs[("Deployment", name)]["spec"]["template"]
        # Prometheus's job is the pod's app label (deploy/prometheus/kubernetes.yml)
        assert pod["metadata"]["labels"]["app"] == name
        assert pod["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
        for trigger in scaled["spec"]["triggers"]:
            assert trigger["type"] == "prometheus"
            assert f'job="{name}"' in trigger["metadata"]["query"], name


def test_the_entrys_threshold_is_its_measured_load_at_capacity_under_the_slo() -> None:
    sweep = json.loads(THRESHOLD_RUN.read_text())["rungs"]["async-batched-hop"]["experiments"][
        "sweep"
    ]
    at_capacity = next(
        s for s in sweep["steps"] if s["open_loop"]["offered_rps"] == sweep["capacity_rps"]
    )
    assert at_capacity["open_loop"]["meets_slo"]
    in_progress = at_capacity["rps"] * at_capacity["mean_ms"] / 1000  # Little's law
    entry = next(s for s in _scaled_objects() if s["metadata"]["name"] == "scoring-entry")
    assert entry["spec"]["triggers"][0]["metadata"]["threshold"] == str(round(in_progress))
    for model in (s for s in _scaled_objects() if s["metadata"]["name"] != "scoring-entry"):
        threshold = int(model["spec"]["triggers"][0]["metadata"]["threshold"])
        assert threshold == Settings.model_fields["max_batch_size"].default * 3 // 4


def test_the_entry_calls_the_model_services_by_their_service_names() -> None:
    docs = _documents()
    args = _container(docs[("Deployment", "scoring-entry")])["args"]
    depends = dict(args[i + 1].split("=", 1) for i, a in enumerate(args) if a == "--depends")
    assert depends == {
        "ModelA": "http://scoring-model-a:3000",
        "ModelB": "http://scoring-model-b:3000",
    }
    for service, url in depends.items():
        name = url.removeprefix("http://").split(":")[0]
        model = _container(docs[("Deployment", name)])
        assert model["args"][:3] == ["start-http-server", "--service-name", service]
        assert docs[("Service", name)]["spec"]["ports"][0]["port"] == 3000


def test_the_comparisons_per_service_limits_are_the_manifests() -> None:
    """harness/containers.py serves the per-service rung with these manifests' limits."""
    docs = _documents()

    def limits(name: str) -> tuple[float, float]:
        return _cpus_and_mib(_container(docs[("Deployment", name)])["resources"]["limits"])

    def mib(memory: str) -> float:  # podman's "1g" and "512m"
        return float(memory[:-1]) * (1024 if memory.endswith("g") else 1)

    entry = (containers.ENTRY_CPUS, mib(containers.ENTRY_MEMORY))
    model = (containers.MODEL_CPUS, mib(containers.MODEL_MEMORY))
    assert limits("scoring-entry") == entry
    assert limits("scoring-model-a") == limits("scoring-model-b") == model


def test_the_model_pods_regather_entry_pods_and_so_does_the_comparison() -> None:
    """Several entry pods' batches merge only with the continuous batcher's regather
    (docs/cluster.md); harness/containers.py gives the per-service rung the same setting."""
    docs = _documents()
    for name in ("scoring-model-a", "scoring-model-b"):
        env = {e["name"]: e["value"] for e in _container(docs[("Deployment", name)])["env"]}
        assert env == containers.PER_SERVICE_MODEL_ENV == {"SCORING_MODEL_BATCHER": "continuous"}
    assert Settings.model_fields["model_regather_ms"].default > 0
