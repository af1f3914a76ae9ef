"""podman on this host: its configuration, and targets served from their images.

A host's engine quirks (runtime, ulimits) go in a containers.conf of the
project's own, given to podman through CONTAINERS_CONF, never in /etc. The
images themselves are made by harness/images.py.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from harness.processes import ROOT, Managed, free_port, http_ready, spawn, wait_ready
from scoring.settings import Settings, as_environment
from service.runtime import KEEP_ALIVE_S

CONF = ROOT / ".containers" / "containers.conf"
# what deploy/k8s gives each target's pod
CPUS = 2
MEMORY = "2g"
# what deploy/k8s/per-service gives its entry pods and each model pod
ENTRY_CPUS, ENTRY_MEMORY = 2.0, "1g"
MODEL_CPUS, MODEL_MEMORY = 0.5, "512m"
MODEL_SERVICES = ("ModelA", "ModelB")
# the model pods' own settings in deploy/k8s/per-service: the batcher that merges entry pods' calls
PER_SERVICE_MODEL_ENV = as_environment(Settings, model_batcher="continuous")
PACKAGES = ("podman", "buildah", "runc", "debootstrap")


def write_conf() -> Path:
    """Write the engine's settings for this host: runc, and ulimits within the hard limits."""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    # seen here: runc may not set nproc past the kernel's pid_max, whatever the hard limit
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    nproc = pid_max if nproc == resource.RLIM_INFINITY else min(nproc, pid_max)
    ulimits = [f'"nproc={nproc}:{nproc}"']
    if nofile != resource.RLIM_INFINITY:
        ulimits.append(f'"nofile={nofile}:{nofile}"')
    CONF.parent.mkdir(exist_ok=True)
    CONF.write_text(
        "# written by harness/containers.py for this host; podman reads it via CONTAINERS_CONF\n"
        "[containers]\n"
        # podman's default ulimits ask for more than root's hard limit on some hosts
        f"default_ulimits = [{', '.join(ulimits)}]\n"
        "[engine]\n"
        # crun refuses a hybrid cgroup layout ("cgroups in hybrid mode not supported")
        'runtime = "runc"\n'
        'cgroup_manager = "cgroupfs"\n'
        'events_logger = "file"\n'
    )
    return CONF


def environment() -> dict[str, str]:
    """The environment every podman and buildah call runs with."""
    return {**os.environ, "CONTAINERS_CONF": str(CONF)}


def podman(
    *args: str, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run podman with the project's configuration; output captured."""
    return subprocess.run(
        ["podman", *args],
        env=environment(),
        capture_output=True,
        text=True,
        check=check,
        timeout=timeout,
    )


def engine_problem() -> str | None:
    """Why no container can run here, or None."""
    if shutil.which("podman") is None:
        return f"podman is not installed (apt-get install {' '.join(PACKAGES)})"
    if os.geteuid() != 0:
        # rootful podman, and debootstrap and chroot for the base image, need root
        return "the container tests run podman as root (run the tests as root)"
    write_conf()
    done = podman("info", "--format", "{{.Host.OCIRuntime.Name}}", check=False, timeout=60)
    if done.returncode != 0:
        return f"podman cannot run here: {done.stderr.strip().splitlines()[-1:]}"
    return None


def image_exists(name: str) -> bool:
    return podman("image", "exists", name, check=False).returncode == 0


@dataclass
class Container(Managed):
    """A target served by `podman run` in the foreground: SIGTERM reaches the container."""

    container: str = ""

    @property
    def pid(self) -> int:
        """The container's first process on the host, whose tree the probe measures."""
        inspected = podman("inspect", "--format", "{{.State.Pid}}", self.container, check=False)
        return int(inspected.stdout.strip() or self.process.pid)

    def stop(self, grace_s: float = 30.0) -> int | None:
        try:
            return super().stop(grace_s)
        finally:  # a podman client killed at the end of the grace leaves its container
            podman("rm", "--force", "--time=2", self.container, check=False)


@dataclass
class PerService(Container):
    """The entry in its container and the model services it calls, each in its own."""

    models: list[Container] = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [self.pid, *(model.pid for model in self.models)]

    def stop(self, grace_s: float = 30.0) -> int | None:
        try:
            return super().stop(grace_s)
        finally:
            for model in self.models:
                model.stop(grace_s)


def _settings(env: dict[str, str]) -> dict[str, str]:
    # the project's settings in this environment reach a container as they reach a
    # process target (--model-cost sets them for the whole run)
    inherited = {k: v for k, v in os.environ.items() if k.startswith(("SCORING_", "SYNC_"))}
    return {**inherited, **env}


def _serve(
    name: str,
    image: str,
    port: int,
    limits: tuple[float, str],
    env: dict[str, str],
    args: list[str],
    log_dir: Path,
) -> Container:
    """`podman run` a container on the host's network; return it once /readyz answers 200."""
    container = f"{name}-{port}"
    argv = [
        "podman",
        "run",
        "--rm",
        f"--name={container}",
        "--network=host",
        f"--cpus={limits[0]}",
        f"--memory={limits[1]}",
        *(f"--env={k}={v}" for k, v in env.items()),
        image,
        *args,
    ]
    url = f"http://127.0.0.1:{port}"
    started = spawn(name, argv, url, log_dir, environment())
    managed = Container(started.name, started.process, url, started.log_path, container=container)
    return wait_ready(managed, lambda: http_ready(url + "/readyz"), 180)


def start(
    name: str, image: str, kind: str, redis_url: str, log_dir: Path, env: dict[str, str]
) -> Container:
    """Serve a target from its image on a free port, with the manifests' CPU and memory limits."""
    port = free_port()
    env = {**_settings(env), "REDIS_URL": redis_url}
    env |= {"PORT": str(port)} if kind == "bento" else {"SYNC_BIND": f"127.0.0.1:{port}"}
    return _serve(name, image, port, (CPUS, MEMORY), env, [], log_dir)


def start_per_service(
    name: str, image: str, redis_url: str, log_dir: Path, env: dict[str, str]
) -> PerService:
    """The bento's entry and model services each in its own container, as
    deploy/k8s/per-service runs them in their own pods: `start-http-server
    --service-name`, the entry's dependencies pointed at the model containers' URLs."""
    serve = ["--host", "127.0.0.1", "--timeout-keep-alive", str(KEEP_ALIVE_S)]
    settings = _settings(env)
    models: list[Container] = []
    try:
        for service in MODEL_SERVICES:
            port = free_port()
            args = ["start-http-server", "--service-name", service, "--port", str(port), *serve]
            limits = (MODEL_CPUS, MODEL_MEMORY)
            own = {**settings, **PER_SERVICE_MODEL_ENV}
            models.append(_serve(f"{name}-{service}", image, port, limits, own, args, log_dir))
        port = free_port()
        depends = [f"--depends={s}={m.url}" for s, m in zip(MODEL_SERVICES, models, strict=True)]
        args = [
            "start-http-server",
            "--service-name",
            "Scorer",
            "--port",
            str(port),
            *depends,
            *serve,
        ]
        entry_env = {**settings, "REDIS_URL": redis_url}
        entry = _serve(name, image, port, (ENTRY_CPUS, ENTRY_MEMORY), entry_env, args, log_dir)
    except BaseException:
        for model in models:
            model.stop()
        raise
    return PerService(
        entry.name,
        entry.process,
        entry.url,
        entry.log_path,
        container=entry.container,
        models=models,
    )
