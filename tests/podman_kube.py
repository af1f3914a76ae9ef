"""Playing the project's Kubernetes manifests with podman: what podman 4.3 does not do
as Kubernetes does is done here, each case named, and nothing else is changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from harness import containers

KUBE_PASSWORD = "kube-play-password-4f1c"


def run(image: str, env: dict[str, str], *args: str, network: str = "host") -> str:
    """Start a container detached; on a network of its own it answers to Redis's name."""
    options = [f"--env={k}={v}" for k, v in env.items()]
    if network != "host":  # the name the manifests give Redis's Service
        options.append("--network-alias=redis")
    done = containers.podman("run", "--detach", f"--network={network}", *options, image, *args)
    return done.stdout.strip()


def remove(container_id: str) -> None:
    containers.podman("rm", "--force", "--time=5", container_id, check=False)


def ip(container: str, network: str) -> str:
    template = "{{(index .NetworkSettings.Networks " + f'"{network}"' + ").IPAddress}}"
    return containers.podman("inspect", "--format", template, container).stdout.strip()


def infra(pod: str) -> str:
    """The container that holds a pod's network."""
    done = containers.podman("pod", "inspect", pod, "--format", "{{.InfraContainerID}}")
    return done.stdout.strip()


def pod_ip(pod: str, network: str) -> str:
    return ip(infra(pod), network)


def _pod_specs(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d.get("spec", {}).get("template", {}).get("spec", {}) for d in documents]


def _with_password(documents: list[dict[str, Any]]) -> None:
    """The redis-auth Secret's password as a value: podman 4.3's kube play reads a Secret
    into a variable only from a podman secret in a format of its own, and does not expand
    $(REDIS_PASSWORD) in REDIS_URL as Kubernetes does."""
    for pod in _pod_specs(documents):
        for variable in (e for c in pod.get("containers", []) for e in c.get("env", [])):
            if variable.get("valueFrom", {}).get("secretKeyRef", {}).get("name") == "redis-auth":
                del variable["valueFrom"]
                variable["value"] = KUBE_PASSWORD
            elif "value" in variable:
                variable["value"] = variable["value"].replace("$(REDIS_PASSWORD)", KUBE_PASSWORD)


def _unpublished(documents: list[dict[str, Any]]) -> None:
    """No container ports: podman 4.3 publishes every containerPort on the host, so two
    pods that declare port 3000 (two replicas, or the entry and a model) cannot both
    start; Kubernetes publishes none. Probes name the port by number instead."""
    for pod in _pod_specs(documents):
        for container in pod.get("containers", []):
            ports = {p.get("name"): p["containerPort"] for p in container.pop("ports", [])}
            for probe in ("readinessProbe", "livenessProbe"):
                check = container.get(probe, {}).get("httpGet")
                if check and isinstance(check["port"], str):
                    check["port"] = ports[check["port"]]


def playable(manifest: Path, directory: Path, *, publish: bool = True) -> Path:
    """A copy of the manifest that podman 4.3 plays as Kubernetes would run it."""
    documents = list(yaml.safe_load_all(manifest.read_text()))
    _with_password(documents)
    if not publish:
        _unpublished(documents)
    played = directory / manifest.name
    played.write_text(yaml.safe_dump_all(documents))
    return played


def answer_to(service: str, pod: str, network: str) -> None:
    """Give a pod the DNS name of its Kubernetes Service (podman has no Services): its
    network is joined again under that alias, as a Service's name resolves to its pods."""
    container = infra(pod)
    containers.podman("network", "disconnect", network, container)
    containers.podman("network", "connect", f"--alias={service}", network, container)
