"""The step log: what an experiment measured, written by the shape, read by the harness."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from loadgen.quantile import Verdict


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


class OpenLoop(TypedDict):
    """An open-loop step: what was offered, what the generator sent, latency from the schedule."""

    offered_rps: float  # the rate asked for
    scheduled_rps: float  # arrivals the Poisson schedule held in the measured windows, per s
    sent_rps: float  # requests launched, per s
    late_p99_ms: float  # 99th percentile of how late requests left after their scheduled time
    mean_ms: float  # latency from the scheduled send time (free of coordinated omission)
    p50_ms: float
    p99_ms: float
    p999_ms: float
    quantiles_ms: dict[str, float]  # percentile -> ms from the scheduled send, 0 to 100
    goodput_rps: float  # 200s with right scores answered within the SLO, per s
    valid: bool  # False when the generator fell behind its schedule
    invalid_reason: str | None
    meets_slo: bool  # valid, p99 decided within the SLO, errors (503s included) within 1%
    # the p99 verdict at 95% confidence (loadgen/quantile.py): its samples, the interval
    # holding the true p99, and whether that interval lies within the SLO, over it, or
    # across it (undecided); None where too few samples bound that side. Runs before
    # these were recorded have none of them
    samples: NotRequired[int]
    p99_low_ms: NotRequired[float | None]
    p99_high_ms: NotRequired[float | None]
    verdict: NotRequired[Verdict]
    # the p99 from the actual send, the launch delays left out, and its 95% lower bound:
    # a point whose generator fell behind still decides when this bound is over the SLO
    # (or its p99 from the schedule, delays counted, is decided within it)
    p99_sent_ms: NotRequired[float]
    p99_sent_low_ms: NotRequired[float | None]


class Step(Measured, ResourceUse):
    """One measured step of an experiment."""

    rss_mb_by_process: dict[str, list[float]]  # resident MiB per window, per server process
    open_loop: NotRequired[OpenLoop]


class StepLog(TypedDict):
    """One experiment: the file --step-log names."""

    shape: str
    steps: list[Step]
    breaking_point: int | None
    breaking_reason: NotRequired[str]
    # the sweep: the highest offered rate that met the SLO, and the SLO
    capacity_rps: NotRequired[float | None]
    slo_p99_ms: NotRequired[float]
    # where the generator fell behind its schedule twice: capacity is at least capacity_rps
    generator_limit_rps: NotRequired[float | None]


class Drained(TypedDict):
    """A Locust worker's answers since its last report, sent to the master."""

    latencies_ms: list[float]
    statuses: dict[str, int]
    failures: int
    timing_sums: dict[str, float]
    timed: int
    scheduled_ms: list[float]
    ok_scheduled_ms: list[float]
    scheduled: int
    lateness_ms: list[float]
    in_flight: int
