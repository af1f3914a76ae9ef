"""The ablation ladder as data: every configuration the comparison serves, and how to start it.

Each rung declares everything that differs between rungs; the comparison,
the time estimate and the report read these fields and never a rung's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from harness import containers, images, processes
from scoring.settings import Settings, SyncSettings, as_environment, settings
from service import runtime

# The baseline's workers, fixed in the comparison rather than derived from the host
# (gunicorn's 2 x cores + 1 is 5 on the 2 cores of the curated runs, 33 on 16):
# each worker holds a copy of each model, so the ratio would move with the host.
SYNC_WORKERS = 5
# The baseline's queue-time shedding is off in the comparison: at 200 users
# (4x its capacity) its 1 s default would answer most requests 503 in about a
# second, and the comparison is of throughput and latency, not of who sheds.
# BentoML's shedding stays on; its steady states here shed nothing.
SYNC_COMPARISON_ENV = as_environment(SyncSettings, queue_timeout_ms=0)
SHARED_MODELS = as_environment(SyncSettings, shared_models=True)
SHIPPED_ENTRY_WORKERS: int = runtime.ENTRY["workers"]  # as @bentoml.service sets for Scorer
BATCH = f"max {settings.max_batch_size}"
REGATHER = f"regather {settings.regather_ms:g}/{settings.regather_max_ms:g} ms"


@dataclass(frozen=True)
class Rung:
    """One configuration of the same code, and the factor it isolates."""

    name: str
    kind: Literal["sync", "bento", "bare", "calibration"]
    title: str
    resources: str
    isolates: str
    color: str
    workers: int  # entry (or gunicorn) worker processes
    service: str | None = None  # the BentoML service to serve, when not the bentofile's
    env: dict[str, str] = field(default_factory=dict)
    # what the report compares: the headline pair (both get every experiment),
    # the edge design the shipped one is held against, and the framework-free ceiling
    role: Literal[
        "baseline",
        "shipped",
        "edge",
        "ceiling",
        "regather-off",
        "equal-capacity",
        "calibration",
        "",
    ] = ""
    batching: bool = False  # batches requests: checked cold, and at 1 user after load
    image: str = ""  # served from this container image (--containers), not as processes
    # from the image: as one pod ("single-pod"), or each service in its own ("per-service")
    topology: Literal["single-pod", "per-service"] = "single-pod"
    twin: str = ""  # the process rung a container rung repeats
    swept: bool = False  # swept in open loop by the quick profile too (the full one sweeps all)

    @property
    def headline(self) -> bool:
        """Whether the rung gets the four classic experiments (and the soak)."""
        return self.role in ("baseline", "shipped")


def _entry_workers(service: str, workers: int) -> dict[str, str]:
    # overrides bentoconfiguration.yaml for one service, as BentoML documents
    return {"BENTOML_CONFIG_OPTIONS": f"services.{service}.workers={workers}"}


# a literal data table (fmt: skip below): one row a line, which the formatter would split
RUNGS = (
    Rung(
        "calibration-45ms", "calibration", "Calibration: the contract answered after a 45 ms sleep",
        "1 uvicorn process (uvloop, httptools): no Redis, no model, no batching "
        "(bare/calibration.py)",
        "what the load generator and the machine add to a latency", "#95a5a6", 1,
        role="calibration", swept=True,
    ),
    Rung(
        "sync-seq", "sync", "Flask, sync, models one after the other (baseline)",
        f"gunicorn: {SYNC_WORKERS} sync worker processes x 1 thread, 1 instance of each model "
        "per worker, queue-time shedding off",
        "the baseline", "#c0392b", SYNC_WORKERS, env=SYNC_COMPARISON_ENV, role="baseline",
        swept=True,
    ),
    Rung(
        "sync-seq-shared", "sync", "Flask, sync, one copy of each model shared by the workers",
        f"gunicorn: {SYNC_WORKERS} sync workers calling one copy of each model, one call at a "
        "time across processes (SYNC_SHARED_MODELS): the model capacity of every BentoML rung",
        "equal model capacity: the baseline with one accelerator, as BentoML has", "#f1948a",
        SYNC_WORKERS, env={**SYNC_COMPARISON_ENV, **SHARED_MODELS}, role="equal-capacity",
    ),
    Rung(
        "sync-par", "sync", "Flask, sync, the two model calls in parallel threads",
        f"gunicorn: {SYNC_WORKERS} sync workers, each with a 2-thread pool for the model calls",
        "concurrent fan-out of the two model calls", "#e67e22", SYNC_WORKERS,
        env=as_environment(SyncSettings, queue_timeout_ms=0, parallel_models=True),
    ),
    Rung(
        "async-nobatch", "bento", "BentoML, async entry, one hop per request, no batching",
        "3 processes: PerRequestScorer entry (1 worker, event loop) + ModelA + ModelB services "
        "(1 worker each), batching off: one request per model call",
        "event-loop concurrency instead of worker-bound concurrency", "#8e44ad", 1,
        service="service.per_request:PerRequestScorer",
        env=as_environment(Settings, model_batcher="none"),
    ),
    Rung(
        "async-hop-per-request", "bento",
        "BentoML, one hop per request, adaptive batching in the model services (as the docs show)",
        "3 processes: PerRequestScorer entry (1 worker) sends a one-item list per request; "
        f"ModelA + ModelB (1 worker, adaptive batching, max_batch_size={settings.max_batch_size}, "
        f"max_latency_ms={settings.max_latency_ms})",
        "BentoML's adaptive batching in the model services", "#5dade2", 1,
        service="service.per_request:PerRequestScorer", batching=True,
        env=as_environment(Settings, model_batch_hold="learned"),
    ),
    Rung(
        "async-hop-per-request-continuous", "bento",
        "BentoML, one hop per request, continuous batcher in the model services",
        "3 processes as async-hop-per-request; the model services' API is not batchable and "
        f"feeds an in-process continuous batcher ({BATCH})",
        "BentoML's adaptive batcher against batching without a learned wait", "#17a2b8", 1,
        service="service.per_request:PerRequestScorer",
        env=as_environment(Settings, model_batcher="continuous"), batching=True,
    ),
    Rung(
        "async-batched-hop-2x2", "bento",
        "BentoML, batching before the hop, 2 entry workers x 2 batches out",
        "4 processes: Scorer entry (2 workers, a continuous batcher each with 2 batches out, "
        f"{BATCH}, {REGATHER}) + ModelA + ModelB (1 worker, adaptive batching)",
        "a queue per entry worker and batches queued at the model services: a request can "
        "wait behind another worker's batch", "#85c1e9", 2,
        env={**_entry_workers("Scorer", 2), **as_environment(Settings, batches_in_flight=2)},
        batching=True,
    ),
    Rung(
        "async-batched-hop-no-regather", "bento",
        "BentoML, batching before the hop, one queue, no regather",
        "3 processes as async-batched-hop, with SCORING_REGATHER_MS=0",
        "regather: callers that come back together ride one batch instead of taking turns",
        "#a9cce3", 1, env=as_environment(Settings, regather_ms=0), role="regather-off",
        batching=True, swept=True,
    ),
    Rung(
        "async-batched-hop", "bento", "BentoML, batching before the hop, one queue (shipped)",
        f"3 processes: Scorer entry ({SHIPPED_ENTRY_WORKERS} worker, continuous batcher, 1 "
        f"batch out, {BATCH}, {REGATHER}; one MGET and one call of each model service per "
        "batch) + ModelA + ModelB (1 worker, adaptive batching)",
        "one queue in front of each model instead of one per entry worker", "#2471a3",
        SHIPPED_ENTRY_WORKERS, role="shipped", batching=True, swept=True,
    ),
    Rung(
        "async-edge", "bento", "BentoML, batching at the edge, models in process",
        f"1 process: EdgeScorer (1 worker, so 1 instance of each model as in every rung; "
        f"continuous batcher, {BATCH}, {REGATHER}), one MGET and one call of each in-process "
        "model per batch",
        "the cost of the hop to the model services (runners)", "#239b56",
        1, service="service.edge:EdgeScorer", role="edge", batching=True, swept=True,
    ),
    Rung(
        "bare-starlette", "bare", "Starlette on uvicorn, no BentoML, batching at the edge",
        f"1 uvicorn process (uvloop, httptools), the same pipeline as async-edge ({BATCH})",
        "what BentoML itself costs per request", "#7f8c8d", 1, role="ceiling", batching=True,
        swept=True,
    ),
)  # fmt: skip
BY_NAME = {rung.name: rung for rung in RUNGS}


def in_containers(rungs: list[Rung]) -> list[Rung]:
    """The headline rungs again, each served from its image with the manifests' limits; the
    shipped one also as deploy/k8s/per-service runs it, each service in its own container."""
    image_of = {"sync": images.SYNC, "bento": images.BENTO}
    limits = f"{containers.CPUS} CPUs and {containers.MEMORY} enforced by podman (cgroups)"
    repeated = []
    for rung in (r for r in rungs if r.headline and not r.service):
        image = image_of[rung.kind]
        repeated.append(
            replace(
                rung,
                name=f"{rung.name}-container",
                title=f"{rung.title}, in a container",
                resources=f"{rung.resources}; from image {image}, {limits}",
                isolates="running from the image instead of processes on the host",
                image=image,
                twin=rung.name,
                role="",
            )
        )
        if rung.role == "shipped":
            repeated.append(
                replace(
                    rung,
                    name=f"{rung.name}-per-service",
                    title=f"{rung.title}, each service in its own container",
                    resources=(
                        f"{rung.resources}; from image {image}: the entry, ModelA and ModelB "
                        f"each in its own container (start-http-server --service-name), "
                        f"{containers.ENTRY_CPUS:g} CPUs and {containers.ENTRY_MEMORY} for the "
                        f"entry, {containers.MODEL_CPUS:g} CPU and {containers.MODEL_MEMORY} "
                        "for each model service, enforced by podman (cgroups)"
                    ),
                    isolates="the per-service topology: each service in its own container",
                    image=image,
                    topology="per-service",
                    twin=rung.name,
                    role="",
                )
            )
    return repeated


def start_rung(rung: Rung, redis_url: str, log_dir: Path) -> processes.Managed:
    """Serve one rung on a free port with its environment."""
    if rung.image and rung.topology == "per-service":
        return containers.start_per_service(rung.name, rung.image, redis_url, log_dir, rung.env)
    if rung.image:
        return containers.start(rung.name, rung.image, rung.kind, redis_url, log_dir, rung.env)
    if rung.kind == "sync":
        return processes.start_sync(log_dir, redis_url, workers=rung.workers, env=rung.env)
    if rung.kind == "bare":
        return processes.start_bare(log_dir, redis_url, env=rung.env)
    if rung.kind == "calibration":
        return processes.start_calibration(log_dir)
    return processes.start_bento(log_dir, redis_url, env=rung.env, service=rung.service)
