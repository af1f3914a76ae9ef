"""Measurement windows of a load step: record answers, reduce them, judge the step."""

from __future__ import annotations

import math
import time
import weakref
from collections import Counter
from dataclasses import dataclass, field

from loadgen.steplog import Drained, Measured, Step
from scoring.timing import parse_server_timing

# a ramp step ends when two windows agree within this, and breaks on these
STABLE_TOLERANCE = 0.10
MAX_ERROR_RATE = 0.01
MIN_GAIN = 0.05


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
    # open loop: latency from the scheduled send (all answers, and the ok ones),
    # arrivals scheduled, requests launched, and launched late
    scheduled_ms: list[float] = field(default_factory=list)
    ok_scheduled_ms: list[float] = field(default_factory=list)
    scheduled: int = 0
    lateness_ms: list[float] = field(default_factory=list)  # one per request launched

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
        self.run_scheduled_ms: list[float] = []  # the whole run's, for the summary at the end
        self.in_flight_by_worker: dict[str, int] = {}

    def record(
        self,
        status: int,
        latency_ms: float,
        ok: bool,
        server_timing: str | None,
        lateness_ms: float | None = None,
    ) -> None:
        """Record one answer; lateness_ms (open loop) is how late its request was launched."""
        window = self.window
        window.latencies_ms.append(latency_ms)
        window.statuses[status] += 1
        window.failures += 0 if ok else 1
        if ok and server_timing:
            for part, ms in parse_server_timing(server_timing).items():
                window.timing_sums[part] = window.timing_sums.get(part, 0.0) + ms
            window.timed += 1
        if lateness_ms is not None:
            from_schedule = latency_ms + lateness_ms
            window.scheduled_ms.append(from_schedule)
            self.run_scheduled_ms.append(from_schedule)
            if ok:
                window.ok_scheduled_ms.append(from_schedule)

    def schedule(self) -> None:
        """Count an arrival the open-loop schedule placed."""
        self.window.scheduled += 1

    def launch(self, lateness_ms: float) -> None:
        """Count a request launched lateness_ms after its scheduled time."""
        self.window.lateness_ms.append(lateness_ms)

    def drain(self, in_flight: int = 0) -> Drained:
        """Hand over what the current window holds (a Locust worker's report to its master)."""
        window = self.window
        self.window = Window(started=window.started)
        return Drained(
            latencies_ms=window.latencies_ms,
            statuses={str(k): v for k, v in window.statuses.items()},
            failures=window.failures,
            timing_sums=window.timing_sums,
            timed=window.timed,
            scheduled_ms=window.scheduled_ms,
            ok_scheduled_ms=window.ok_scheduled_ms,
            scheduled=window.scheduled,
            lateness_ms=window.lateness_ms,
            in_flight=in_flight,
        )

    def merge(self, data: Drained, worker: str = "") -> None:
        """Add a worker's drained answers to the current window (on the master)."""
        window = self.window
        window.latencies_ms.extend(data["latencies_ms"])
        window.statuses.update({int(k): v for k, v in data["statuses"].items()})
        window.failures += data["failures"]
        for part, ms in data["timing_sums"].items():
            window.timing_sums[part] = window.timing_sums.get(part, 0.0) + ms
        window.timed += data["timed"]
        window.scheduled_ms.extend(data["scheduled_ms"])
        self.run_scheduled_ms.extend(data["scheduled_ms"])
        window.ok_scheduled_ms.extend(data["ok_scheduled_ms"])
        window.scheduled += data["scheduled"]
        window.lateness_ms.extend(data["lateness_ms"])
        self.in_flight_by_worker[worker] = data["in_flight"]

    def cut(self) -> Window:
        """Close the current window and open the next one."""
        closed, self.window = self.window, Window()
        closed.ended = self.window.started
        return closed


_RECORDERS: weakref.WeakKeyDictionary[object, Recorder] = weakref.WeakKeyDictionary()


def recorder_for(environment: object) -> Recorder:
    """The one recorder of a Locust environment, made when first asked for."""
    if environment not in _RECORDERS:
        _RECORDERS[environment] = Recorder()
    return _RECORDERS[environment]


def percentiles(values: list[float], qs: list[float]) -> list[float]:
    """Return the qs-th percentiles (0-100) by nearest rank, sorting once; NaN for no values."""
    if not values:
        return [math.nan] * len(qs)
    ordered = sorted(values)
    return [ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1] for q in qs]


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) by nearest rank; NaN for no values."""
    return percentiles(values, [q])[0]


def is_stable(windows: list[Window], tolerance: float = STABLE_TOLERANCE) -> bool:
    """True when the last two windows' throughputs agree within tolerance."""
    if len(windows) < 2:
        return False
    a, b = windows[-2].rps, windows[-1].rps
    return abs(a - b) <= tolerance * max(a, b, 1e-9)


def summarize(users: int, windows: list[Window]) -> Measured:
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
    p50, p95, p99 = percentiles(latencies, [50, 95, 99])
    return Measured(
        users=users,
        duration_s=round(duration, 2),
        requests=count,
        rps=count / duration if duration else 0.0,
        mean_ms=sum(latencies) / count if count else math.nan,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
        failures=failures,
        error_rate=failures / count if count else 0.0,
        statuses={str(k): v for k, v in sorted(statuses.items())},
        server_timing_ms={k: v / timed for k, v in timing.items()} if timed else {},
        windows_rps=[round(w.rps, 1) for w in windows],
    )


def breaking_reason(
    previous: Step | None,
    current: Step,
    slo_p95_ms: float,
    max_error_rate: float = MAX_ERROR_RATE,
    min_gain: float = MIN_GAIN,
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
