"""Predicted mean latency against offered load, from a rung's measured service times.

The sync baseline is c servers (its workers) with Poisson arrivals and a
near-constant service time S (two sleeps of 40-50 ms: squared coefficient of
variation about 0.002): M/D/c, whose mean wait is about half of M/M/c's
(Allen-Cunneen), W = o + S + Wq(M/M/c) / 2, where o is the time outside the handler.

A batched rung runs one batch at a time: a request waits for the batch in
flight, then rides the next one. A batch costs B = M + n (c + p), with M the
time a batch of one takes (model, hop, Redis), c the server CPU per request on
the cores it has and p the model's own cost per item (--model-cost; none for
the flat model); the next batch holds what arrived during this one, n = rate x
B, so B = M / (1 - rate (c + p)). A request finds a batch in flight with
probability rho = min(1, rate B) and then waits half of it: W = o + B (1 + rho / 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from loadgen.steplog import Step

DETERMINISTIC_SERVICE = 0.5  # (Ca^2 + Cs^2) / 2 with Poisson arrivals and Cs^2 about 0


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in M/M/c, for offered load = rate x service time."""
    if load >= servers:
        return 1.0
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= load / k
        total += term
    last = term * load / servers / (1 - load / servers)
    return last / (total + last)


@dataclass(frozen=True)
class WorkerPool:
    """The sync baseline: servers workers, service time service_s, outside time outside_s."""

    servers: int
    service_s: float
    outside_s: float

    @property
    def capacity_rps(self) -> float:
        return self.servers / self.service_s

    def mean_latency_ms(self, rate: float) -> float:
        load = rate * self.service_s
        if load >= self.servers:
            return math.inf
        queued = erlang_c(self.servers, load) * self.service_s / (self.servers - load)
        return 1000 * (self.outside_s + self.service_s + DETERMINISTIC_SERVICE * queued)

    def wait_ms(self, rate: float) -> float:
        """The model's wait for a worker, in ms: the term to hold against a measurement."""
        return self.mean_latency_ms(rate) - 1000 * (self.outside_s + self.service_s)


@dataclass(frozen=True)
class Batcher:
    """A batched rung: a batch of one takes batch_s, each request costs cpu_s of the server's
    CPU and item_s of the model's time more."""

    batch_s: float
    cpu_s: float
    outside_s: float
    item_s: float = 0.0

    @property
    def capacity_rps(self) -> float:
        per_request = self.cpu_s + self.item_s
        return 1 / per_request if per_request > 0 else math.inf

    def batch_time_s(self, rate: float) -> float:
        busy = rate * (self.cpu_s + self.item_s)
        return self.batch_s / (1 - busy) if busy < 1 else math.inf

    def mean_latency_ms(self, rate: float) -> float:
        batch = self.batch_time_s(rate)
        busy = min(1.0, rate * batch)
        return 1000 * (self.outside_s + batch * (1 + busy / 2))

    def wait_ms(self, rate: float) -> float:
        """The model's wait for the batch in flight, in ms."""
        batch = self.batch_time_s(rate)
        return 1000 * batch * min(1.0, rate * batch) / 2


Model = WorkerPool | Batcher


def fit(
    kind: str, workers: int, steps: list[Step], cores: float, item_s: float = 0.0
) -> Model | None:
    """The rung's model, from its lowest-rate valid step (and the CPU of every step);
    item_s is the model's cost per item of a batch, which a batched rung pays per request."""
    valid = [s for s in steps if "open_loop" in s and s["open_loop"]["valid"]]
    if not valid:
        return None
    low = min(valid, key=lambda s: s["open_loop"]["offered_rps"])
    timing = low.get("server_timing_ms", {})
    total_s = timing.get("total", math.nan) / 1000
    outside_s = max(low["open_loop"]["mean_ms"] / 1000 - total_s, 0.0)
    if kind == "sync":
        return WorkerPool(workers, total_s, outside_s)
    if math.isnan(total_s):
        return None
    spare = max(cores - max(s["loadgen_cpu_cores"] for s in valid), 0.5)
    batch_s = total_s - timing.get("batch_wait", 0.0) / 1000
    return Batcher(batch_s, marginal_cpu_s(valid) / spare, outside_s, item_s)


def marginal_cpu_s(steps: list[Step]) -> float:
    """Server CPU-seconds each further request costs: the slope of cores used against rate.

    Per-request CPU at low rates also holds the idle cost (BentoML polls every
    1 ms), spread over few requests; the slope leaves it out.
    """
    points = [(s["rps"], s["server_cpu_cores"]) for s in steps if s["rps"] > 0]
    if len(points) < 2:
        return min((s["server_cpu_ms_per_request"] / 1000 for s in steps), default=math.nan)
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    var = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0
    if slope > 0:
        return slope
    return min(s["server_cpu_ms_per_request"] for s in steps) / 1000
