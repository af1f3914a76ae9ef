"""Open-loop load: Poisson arrivals at a set rate, sent on schedule whatever the answers do.

Each process runs one schedule per user at rate / users; the superposition of
independent Poisson processes is a Poisson process at the total rate. A request
is launched in its own greenlet at its scheduled time, so a slow answer delays
nothing; its latency is measured from the scheduled time (free of coordinated
omission) as well as from the actual send. summarize() reduces an open-loop
step: how faithfully the schedule was kept, latency from it, goodput.
"""

from __future__ import annotations

import math
import random
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import gevent
import gevent.pool

from loadgen import quantile
from loadgen.steplog import OpenLoop
from loadgen.windows import MAX_ERROR_RATE, Window, percentile, percentiles

# the generator is behind its schedule when the 99th percentile of how late it
# launches requests passes this share of the SLO: its own timer jitter is about
# 1.5 ms, and on 2 busy cores the OS delays its wake-ups by up to about 20 ms;
# latency counts from the schedule, so such a delay only makes a target look slower
LATE_P99_SHARE_OF_SLO = 0.1
# ... or when it sends less than this share of what its schedule held
MIN_SENT_SHARE = 0.98
RATE_MESSAGE = "scoring_rate"  # master -> workers: {"rate": total rate, "users": total users}


@dataclass
class Schedule:
    """One process's share of the offered rate, and its requests in flight."""

    rate: float = 0.0  # requests/s offered by all processes' users together
    users: int = 1  # schedules sharing the rate, over all processes
    in_flight: int = 0
    greenlets: gevent.pool.Group = field(default_factory=gevent.pool.Group)

    def set_rate(self, rate: float, users: int) -> None:
        self.rate, self.users = max(rate, 0.0), max(users, 1)

    def run(
        self,
        send: Callable[[float], None],
        rng: random.Random,
        on_schedule: Callable[[], None] = lambda: None,
    ) -> None:
        """Launch send(scheduled_at) at Poisson arrival times, forever (until killed)."""
        next_at = time.perf_counter()
        while True:
            rate = self.rate / self.users
            if rate <= 0:
                gevent.sleep(0.05)
                next_at = time.perf_counter()
                continue
            next_at += rng.expovariate(rate)
            delay = next_at - time.perf_counter()
            if delay > 0:
                gevent.sleep(delay)
            on_schedule()
            self.greenlets.spawn(self._tracked, send, next_at)

    def _tracked(self, send: Callable[[float], None], scheduled_at: float) -> None:
        self.in_flight += 1
        try:
            send(scheduled_at)
        finally:
            self.in_flight -= 1

    def stop(self) -> None:
        self.greenlets.kill(block=False)


_SCHEDULES: weakref.WeakKeyDictionary[object, Schedule] = weakref.WeakKeyDictionary()


def schedule_for(environment: object) -> Schedule:
    """The one schedule of a Locust environment (process), made when first asked for."""
    if environment not in _SCHEDULES:
        _SCHEDULES[environment] = Schedule()
    return _SCHEDULES[environment]


def lateness_ms(scheduled_at: float) -> float:
    """How late, in ms, a request is launched after its scheduled time."""
    return max(0.0, (time.perf_counter() - scheduled_at) * 1000)


# percentiles of the latency-distribution plot: halving the rest each time, to 99.9
QUANTILES = (0, 50, 75, 87.5, 93.75, 96.875, 98.4375, 99, 99.5, 99.9, 100)
# the generator is behind its schedule past this much of a core, too
MAX_LOADGEN_CORES = 0.9


def summarize(
    windows: list[Window], offered_rps: float, slo_p99_ms: float, loadgen_cpu_cores: float
) -> OpenLoop:
    """Reduce an open-loop step's windows: fidelity of the schedule, latency from it, goodput."""
    duration = max(sum(w.ended - w.started for w in windows), 1e-9)
    scheduled_ms = [ms for w in windows for ms in w.scheduled_ms]
    ok_ms = [ms for w in windows for ms in w.ok_scheduled_ms]
    scheduled = sum(w.scheduled for w in windows)
    lateness = [ms for w in windows for ms in w.lateness_ms]
    late_p99 = percentile(lateness, 99) if lateness else 0.0
    errors = len(scheduled_ms) - len(ok_ms)
    p50, p99, p999, *spectrum = percentiles(scheduled_ms, [50, 99, 99.9, *QUANTILES])
    low, high = quantile.bounds(scheduled_ms, 0.99)
    verdict = quantile.verdict(low, high, slo_p99_ms)  # undecided with no answers: unbounded
    if errors > MAX_ERROR_RATE * len(scheduled_ms):
        verdict = "fails"
    sent_ms = [ms for w in windows for ms in w.latencies_ms]  # from the actual send
    sent_low, _ = quantile.bounds(sent_ms, 0.99)
    if len(lateness) < MIN_SENT_SHARE * scheduled:
        reason: str | None = f"sent {len(lateness)} of the {scheduled} requests scheduled"
    elif loadgen_cpu_cores > MAX_LOADGEN_CORES:
        reason = f"the load generator used {loadgen_cpu_cores:.2f} cores"
    else:
        decided = verdict == "meets" or sent_low > slo_p99_ms
        reason = _late(late_p99, slo_p99_ms, decided)
    return OpenLoop(
        offered_rps=offered_rps,
        scheduled_rps=scheduled / duration,
        sent_rps=len(lateness) / duration,
        late_p99_ms=late_p99,
        mean_ms=sum(scheduled_ms) / len(scheduled_ms) if scheduled_ms else math.nan,
        p50_ms=p50,
        p99_ms=p99,
        p999_ms=p999,
        quantiles_ms={str(q): ms for q, ms in zip(QUANTILES, spectrum, strict=True)},
        goodput_rps=sum(1 for ms in ok_ms if ms <= slo_p99_ms) / duration,
        valid=reason is None,
        invalid_reason=reason,
        meets_slo=reason is None and verdict == "meets",
        samples=len(scheduled_ms),
        p99_low_ms=low if math.isfinite(low) else None,
        p99_high_ms=high if math.isfinite(high) else None,
        verdict=verdict,
        p99_sent_ms=percentile(sent_ms, 99) if sent_ms else math.nan,
        p99_sent_low_ms=sent_low if math.isfinite(sent_low) else None,
    )


def _late(late_p99_ms: float, slo_p99_ms: float, decided_anyway: bool) -> str | None:
    """Why late launches void a point, or None: they decide nothing, but a p99 within the
    SLO with the delays counted, or over it with them left out, is the target's either way."""
    if late_p99_ms <= LATE_P99_SHARE_OF_SLO * slo_p99_ms or decided_anyway:
        return None
    return f"p99 of the launch delay {late_p99_ms:.0f} ms > {LATE_P99_SHARE_OF_SLO:.0%} of the SLO"


def within_slo(step: OpenLoop, slo_p99_ms: float) -> bool:
    """Whether the point estimate is within the SLO: a sweep keeps rising past a point that
    meets it but has too few samples to decide, and capacity waits for a decided one."""
    return step.get("verdict", "meets" if step["meets_slo"] else "fails") != "fails" and (
        step["p99_ms"] <= slo_p99_ms
    )
