"""The step log: what an experiment measured, written by the shape, read by the harness."""

from __future__ import annotations

from typing import NotRequired, TypedDict


class Measured(TypedDict):
    """The answers of one step's measured windows."""

    users: int
    duration_s: float
    requests: int
    rps: float
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    failures: int
    error_rate: float
    statuses: dict[str, int]  # status (or "0" for no HTTP answer) -> answers
    server_timing_ms: dict[str, float]  # mean ms per Server-Timing part
    windows_rps: list[float]


class ResourceUse(TypedDict):
    """What the step cost on both sides, from the server probe."""

    server_cpu_ms_per_request: float
    server_cpu_cores: float
    loadgen_cpu_cores: float
    server_rss_mb: float
    mean_batch_size: float | None


class Step(Measured, ResourceUse):
    """One measured step of an experiment."""

    rss_mb_by_process: dict[str, list[float]]  # resident MiB per window, per server process


class StepLog(TypedDict):
    """One experiment: the file --step-log names."""

    shape: str
    steps: list[Step]
    breaking_point: int | None
    breaking_reason: NotRequired[str]


class Drained(TypedDict):
    """A Locust worker's answers since its last report, sent to the master."""

    latencies_ms: list[float]
    statuses: dict[str, int]
    failures: int
    timing_sums: dict[str, float]
    timed: int
