"""summary.json: what a comparison measured, written by harness.compare, read by the report.

The report reads it through harness.report.run.Run, built once per rendering.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from loadgen.steplog import StepLog


class ExperimentResult(StepLog):
    """One experiment's step log, and how long the server took to drain before it."""

    drain_before_s: float


class RungResult(TypedDict):
    """A rung's declaration (harness.ladder.Rung) and its experiments by name."""

    name: str
    kind: str
    title: str
    resources: str
    isolates: str
    color: str
    workers: int
    service: str | None
    env: dict[str, str]
    role: str
    batching: bool
    image: NotRequired[str]  # runs before --containers have neither
    twin: NotRequired[str]
    topology: NotRequired[str]  # runs before the per-service container rung have none
    experiments: dict[str, ExperimentResult]


class Target(TypedDict):
    """A performance target or SLO gate, judged on the run; met is None when not measured."""

    name: str
    measured: str
    met: bool | None
    slo: NotRequired[bool]


class Summary(TypedDict):
    started: str
    finished: str
    command: str
    profile: dict[str, Any]  # harness.compare.Profile as a dict
    users: int
    locust_processes: int
    environment: dict[str, Any]  # harness.environment.describe()
    settings: dict[str, Any]
    redis_url: str
    slo: dict[str, float | None]
    rungs: dict[str, RungResult]
    targets: list[Target]
    sweep_slo_p99_ms: NotRequired[float]  # the open-loop sweep's SLO
    loadgen_nice: NotRequired[int]  # Locust's niceness: negative, a higher priority


def load(path: Path) -> Summary:
    """Read a summary.json."""
    summary: Summary = json.loads(path.read_text())
    return summary


def dump(summary: Summary, path: Path) -> None:
    """Write a summary.json."""
    path.write_text(json.dumps(summary, indent=1, default=str))
