"""Probe the server under test: CPU time and memory of its process tree, batch histograms."""

from __future__ import annotations

import math
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import psutil
from prometheus_client.parser import text_string_to_metric_families

from loadgen.steplog import ResourceUse
from scoring import metrics
from scoring.models import MODEL_NAMES

# histograms whose mean is the batch size, with the labels of the samples to add;
# where several advance, the last one listed wins: items per model execution
# (model services; ModelA counted, both see the same batches), else requests
# per batch of a batching entry. BentoML's own adaptive-batch histogram counts
# calls, not items, so it is not used.
BATCH_METRICS: dict[str, dict[str, str]] = {
    metrics.EDGE_BATCH: {},
    metrics.BARE_BATCH: {},
    metrics.ENTRY_BATCH: {},
    metrics.MODEL_BATCH: {"model": MODEL_NAMES[0]},
}


def histogram_totals(
    metrics_text: str, name: str, labels: Mapping[str, str] | None = None
) -> tuple[float, float]:
    """Return (sum, count) of a histogram over every sample with the labels (every worker)."""
    totals = {"_sum": 0.0, "_count": 0.0}
    wanted = (labels or {}).items()
    # parse only the histogram's own lines: a BentoML server's whole text takes
    # milliseconds of the load generator's event loop per metric
    lines = [line for line in metrics_text.splitlines() if name in line]
    for family in text_string_to_metric_families("\n".join(lines) + "\n"):
        for sample in family.samples:
            suffix = sample.name.removeprefix(name)
            if suffix in totals and wanted <= sample.labels.items():
                totals[suffix] += sample.value
    return totals["_sum"], totals["_count"]


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

    def __init__(self, server_pids: Sequence[int], metrics_url: str | None) -> None:
        # one root for a server on the host; one per container for services in containers
        self.server_pids = list(server_pids)
        self.metrics_url = metrics_url
        self.own = psutil.Process()
        self._processes: dict[int, tuple[psutil.Process, str]] = {}

    def _tree(self) -> list[tuple[psutil.Process, str]]:
        """The server's processes and their labels; a process is looked up once, not per sample."""
        tree = []
        for root_pid in self.server_pids:
            root = psutil.Process(root_pid)
            for proc in [root, *root.children(recursive=True)]:
                if proc.pid not in self._processes:
                    try:
                        self._processes[proc.pid] = (proc, process_label(proc, root_pid))
                    except psutil.NoSuchProcess:
                        continue
                tree.append(self._processes[proc.pid])
        return tree

    def sample(self) -> ProbeSample:
        cpu = 0.0
        by_process: dict[str, float] = {}
        if self.server_pids:
            for proc, label in self._tree():
                try:
                    times = proc.cpu_times()
                    cpu += times.user + times.system
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
        for name, labels in BATCH_METRICS.items():
            sums, counts = histogram_totals(text, name, labels)
            if counts:
                found[name] = (sums, counts)
        return found


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


def resource_use(before: ProbeSample, after: ProbeSample, requests: int) -> ResourceUse:
    """Server CPU-ms per request, CPU use of both sides in cores, memory, mean batch size."""
    wall = max(after.at - before.at, 1e-9)
    server_cpu = after.server_cpu_s - before.server_cpu_s
    batch = None
    for name, (sums, counts) in after.batch.items():
        old_sums, old_counts = before.batch.get(name, (0.0, 0.0))
        if counts > old_counts:
            batch = (sums - old_sums) / (counts - old_counts)
    return ResourceUse(
        server_cpu_ms_per_request=server_cpu * 1000 / requests if requests else math.nan,
        server_cpu_cores=server_cpu / wall,
        loadgen_cpu_cores=(after.own_cpu_s - before.own_cpu_s) / wall,
        server_rss_mb=after.server_rss_mb,
        mean_batch_size=batch,
    )
