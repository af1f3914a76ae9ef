"""Measurement of load steps: windows of requests, stability, breaking point, server probes.

Used by locustfile.py's load shapes; free of Locust so it can be tested alone.
"""

from __future__ import annotations

import math
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psutil

from scoring.timing import parse_server_timing

SHAPES = ("none", "low", "ramp", "sustained", "stress", "soak", "cold")
RAMP_USERS = (2, 5, 10, 25, 50, 100, 200, 300, 400, 600, 800)
LOW_USERS = (1, 2, 4)
# histograms whose mean is the batch size; where several advance, the last
# one listed wins: items per model execution (model services; ModelA counted,
# both see the same batches), else requests per batch of a batching entry.
# BentoML's own adaptive-batch histogram counts calls, not items, so it is not used.
BATCH_METRICS = {
    "scoring_edge_batch_size": "",
    "scoring_bare_batch_size": "",
    "scoring_entry_batch_size": "",
    "scoring_model_batch_size": 'model="model_a"',
}


@dataclass
class Window:
    """Requests answered during one measurement window."""

    started: float = field(default_factory=time.monotonic)
    ended: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: int = 0
    timing_sums: dict[str, float] = field(default_factory=dict)
    timed: int = 0

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        return self.count / max(self.ended - self.started, 1e-9)


class Recorder:
    """Collect every answer into the current window."""

    def __init__(self) -> None:
        self.window = Window()

    def record(self, status: int, latency_ms: float, ok: bool, server_timing: str | None) -> None:
        window = self.window
        window.latencies_ms.append(latency_ms)
        window.statuses[status] += 1
        window.failures += 0 if ok else 1
        if ok and server_timing:
            for part, ms in parse_server_timing(server_timing).items():
                window.timing_sums[part] = window.timing_sums.get(part, 0.0) + ms
            window.timed += 1

    def drain(self) -> dict[str, Any]:
        """Hand over what the current window holds (a Locust worker's report to its master)."""
        window = self.window
        data = {
            "latencies_ms": window.latencies_ms,
            "statuses": dict(window.statuses),
            "failures": window.failures,
            "timing_sums": window.timing_sums,
            "timed": window.timed,
        }
        self.window = Window(started=window.started)
        return data

    def merge(self, data: dict[str, Any]) -> None:
        """Add a worker's drained answers to the current window (on the master)."""
        window = self.window
        window.latencies_ms.extend(data["latencies_ms"])
        window.statuses.update({int(k): v for k, v in data["statuses"].items()})
        window.failures += data["failures"]
        for part, ms in data["timing_sums"].items():
            window.timing_sums[part] = window.timing_sums.get(part, 0.0) + ms
        window.timed += data["timed"]

    def cut(self) -> Window:
        """Close the current window and open the next one."""
        closed, self.window = self.window, Window()
        closed.ended = self.window.started
        return closed


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) by nearest rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def is_stable(windows: list[Window], tolerance: float) -> bool:
    """True when the last two windows' throughputs agree within tolerance."""
    if len(windows) < 2:
        return False
    a, b = windows[-2].rps, windows[-1].rps
    return abs(a - b) <= tolerance * max(a, b, 1e-9)


def summarize(users: int, windows: list[Window]) -> dict[str, Any]:
    """Reduce a step's measured windows to the numbers the report uses."""
    latencies = [ms for w in windows for ms in w.latencies_ms]
    statuses: Counter[int] = Counter()
    timing: dict[str, float] = {}
    for w in windows:
        statuses.update(w.statuses)
        for part, ms in w.timing_sums.items():
            timing[part] = timing.get(part, 0.0) + ms
    timed = sum(w.timed for w in windows)
    duration = sum(w.ended - w.started for w in windows)
    count = len(latencies)
    failures = sum(w.failures for w in windows)
    return {
        "users": users,
        "duration_s": round(duration, 2),
        "requests": count,
        "rps": count / duration if duration else 0.0,
        "mean_ms": sum(latencies) / count if count else math.nan,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "failures": failures,
        "error_rate": failures / count if count else 0.0,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "server_timing_ms": {k: v / timed for k, v in timing.items()} if timed else {},
        "windows_rps": [round(w.rps, 1) for w in windows],
    }


def breaking_reason(
    previous: dict[str, Any] | None,
    current: dict[str, Any],
    slo_p95_ms: float,
    max_error_rate: float = 0.01,
    min_gain: float = 0.05,
) -> str | None:
    """Say why this step is the breaking point, or None when it is not."""
    if current["error_rate"] > max_error_rate:
        return f"errors {current['error_rate']:.1%} > {max_error_rate:.0%}"
    if current["p95_ms"] > slo_p95_ms:
        return f"p95 {current['p95_ms']:.0f} ms > SLO {slo_p95_ms:.0f} ms"
    if previous is not None and current["rps"] < previous["rps"] * (1 + min_gain):
        gain = current["rps"] / max(previous["rps"], 1e-9) - 1
        return f"throughput gained {gain:+.2%} (< {min_gain:.0%}) over {previous['users']} users"
    return None


def _tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def role(args: list[str], is_root: bool, fallback: str) -> str:
    """Name a server process's role from its command line: ModelA, gunicorn worker, ..."""
    if "--service-name" in args[:-1]:
        return args[args.index("--service-name") + 1]
    if any(a.endswith("gunicorn") for a in args[:2]):
        return "gunicorn master" if is_root else "gunicorn worker"
    if "serve" in args and any(a.endswith("bentoml") for a in args[:2]):
        return "bentoml arbiter"
    return fallback


def process_label(proc: psutil.Process, root_pid: int) -> str:
    """Label a server process by its PID and role."""
    return f"{proc.pid} {role(proc.cmdline(), proc.pid == root_pid, proc.name())}"


@dataclass
class ProbeSample:
    at: float
    server_cpu_s: float
    server_rss_mb: float
    own_cpu_s: float
    batch: dict[str, tuple[float, float]]
    rss_mb_by_process: dict[str, float] = field(default_factory=dict)


class ServerProbe:
    """Read the server's CPU time and memory (whole process tree) and its batch histograms."""

    def __init__(self, server_pid: int | None, metrics_url: str | None) -> None:
        self.server_pid = server_pid
        self.metrics_url = metrics_url
        self.own = psutil.Process()

    def sample(self) -> ProbeSample:
        cpu = 0.0
        by_process: dict[str, float] = {}
        if self.server_pid:
            for proc in _tree(self.server_pid):
                try:
                    times = proc.cpu_times()
                    cpu += times.user + times.system
                    label = process_label(proc, self.server_pid)
                    by_process[label] = proc.memory_info().rss / 2**20
                except psutil.NoSuchProcess:
                    continue
        own = self.own.cpu_times()
        return ProbeSample(
            time.monotonic(),
            cpu,
            sum(by_process.values()),
            own.user + own.system,
            self._batch_histograms(),
            by_process,
        )

    def _batch_histograms(self) -> dict[str, tuple[float, float]]:
        if not self.metrics_url:
            return {}
        try:
            with urllib.request.urlopen(self.metrics_url, timeout=2) as response:
                text = response.read().decode()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return {}
        found = {}
        for name, label in BATCH_METRICS.items():
            sums = _metric_total(text, f"{name}_sum", label)
            counts = _metric_total(text, f"{name}_count", label)
            if counts:
                found[name] = (sums, counts)
        return found


def _metric_total(text: str, name: str, label: str) -> float:
    pattern = rf"^{name}(\{{[^}}]*\}})? (\S+)$"
    return sum(
        float(m.group(2))
        for m in re.finditer(pattern, text, re.MULTILINE)
        if label in (m.group(1) or "")
    )


def rss_series(samples: list[ProbeSample]) -> dict[str, list[float]]:
    """Each server process's resident MiB per sample, for those alive from first to last."""
    if not samples:
        return {}
    alive = set(samples[0].rss_mb_by_process).intersection(samples[-1].rss_mb_by_process)
    return {
        label: [round(s.rss_mb_by_process.get(label, math.nan), 1) for s in samples]
        for label in sorted(alive)
    }


def rss_growth(series: dict[str, list[float]], edge: int = 5) -> dict[str, float]:
    """Per process, the mean of the last `edge` samples over the first `edge`, minus 1."""
    growth = {}
    for label, values in series.items():
        values = [v for v in values if not math.isnan(v)]
        if len(values) >= 2:
            n = max(1, min(edge, len(values) // 2))
            first, last = sum(values[:n]) / n, sum(values[-n:]) / n
            growth[label] = last / first - 1 if first else math.nan
    return growth


def resource_use(before: ProbeSample, after: ProbeSample, requests: int) -> dict[str, Any]:
    """Server CPU-ms per request, CPU use of both sides in cores, memory, mean batch size."""
    wall = max(after.at - before.at, 1e-9)
    server_cpu = after.server_cpu_s - before.server_cpu_s
    batch = None
    for name, (sums, counts) in after.batch.items():
        old_sums, old_counts = before.batch.get(name, (0.0, 0.0))
        if counts > old_counts:
            batch = (sums - old_sums) / (counts - old_counts)
    return {
        "server_cpu_ms_per_request": server_cpu * 1000 / requests if requests else math.nan,
        "server_cpu_cores": server_cpu / wall,
        "loadgen_cpu_cores": (after.own_cpu_s - before.own_cpu_s) / wall,
        "server_rss_mb": after.server_rss_mb,
        "mean_batch_size": batch,
    }
