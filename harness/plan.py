"""What a comparison runs: the profiles and each rung's experiment plan, as data.

The run (harness.compare) and its time estimate both iterate the same plan.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from harness.ladder import Rung
from harness.summary import ExperimentResult

# a soak runs at this fraction of the rung's breaking point (its ramp's peak)
SOAK_FRACTION = 0.7


@dataclass(frozen=True)
class Profile:
    """How long each experiment runs."""

    name: str
    warmup_s: float
    window_s: float
    step_cap_s: float
    low_hold_s: float
    hold_s: float
    ladder_hold_s: float
    ramp_levels: tuple[int, ...]
    # closed-loop users of the few-callers panel: every batching rung and the baseline
    few_levels: tuple[int, ...]
    soak_s: float = 0.0
    # the open-loop sweep: first rate, factor between rates, points of the bisection,
    # and whether every rung is swept (else the baseline, shipped and edge rungs)
    sweep_start: float = 12.5
    sweep_factor: float = 2.0
    bisections: int = 2
    sweep_every_rung: bool = False
    # an open-loop point runs until its p99 verdict is decided at 95% confidence, or this long
    decide_cap_s: float = 16.0
    # the headline pair's sweep, this many times in all: the first among each rung's
    # experiments, the others after every rung, the pair interleaved
    sweep_repeats: int = 3
    # only these experiments of each rung's plan (empty: all of them)
    only: tuple[str, ...] = ()


# a literal data table (fmt: skip below): one row a line, which the formatter would split
PROFILES = {
    # 4 bisections: rates near capacity 4.4% apart (2 gave 19%, coarser than the 15% target)
    "quick": Profile(
        "quick", 2, 2, 8, 4, 8, 6, (2, 10, 50, 100, 200, 400), (1, 2, 4, 8), bisections=4,
    ),
    "full": Profile(
        "full", 5, 5, 60, 15, 120, 30, (2, 5, 10, 25, 50, 100, 200, 300, 400, 600, 800),
        (1, 2, 4, 8), soak_s=600, sweep_start=10, sweep_factor=1.5, bisections=4,
        sweep_every_rung=True, decide_cap_s=60,
    ),
    # a user's model answered in minutes: throughput at --users and one sweep a rung
    "brief": Profile(
        "brief", 2, 2, 8, 4, 8, 6, (), (), sweep_start=25, bisections=1, decide_cap_s=12,
        sweep_repeats=1, only=("ladder", "sweep"),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Experiment:
    """One Locust run on a rung's server: its name in the report and its load shape."""

    name: str
    shape: str
    users: int | None = None
    levels: tuple[int, ...] = ()
    hold_s: float | None = None
    # users as a fraction of the breaking point the rung's ramp found (sustained, stress, soak)
    ramp_fraction: float = 0.0


def plan(rung: Rung, profile: Profile, users: int) -> list[Experiment]:
    """The experiments a rung gets, in the classic order; the run and its time estimate use it."""
    if rung.kind == "calibration":  # only what the measurement adds at each offered rate
        return [Experiment("sweep", "sweep")]
    experiments = _classic(rung, profile, users)
    return [e for e in experiments if e.name in profile.only] if profile.only else experiments


def _classic(rung: Rung, profile: Profile, users: int) -> list[Experiment]:
    experiments = []
    if rung.batching:
        # first, on the fresh server: 1 user, then all users at once
        experiments.append(Experiment("cold", "cold", users, hold_s=profile.low_hold_s))
    experiments.append(Experiment("ladder", "sustained", users, hold_s=profile.ladder_hold_s))
    if profile.sweep_every_rung or rung.swept:
        # open loop: the highest Poisson arrival rate that meets the latency SLO
        experiments.append(Experiment("sweep", "sweep"))
    if rung.batching or rung.role == "baseline":
        # a few closed-loop callers: do they share batches, or take turns?
        experiments.append(
            Experiment("few", "low", levels=profile.few_levels, hold_s=profile.low_hold_s)
        )
    if rung.headline:
        experiments += [
            Experiment("ramp", "ramp", levels=profile.ramp_levels),
            Experiment("sustained", "sustained", ramp_fraction=1.0),
            Experiment("stress", "stress", ramp_fraction=2.0),
        ]
    if rung.headline or rung.batching:
        # does a batcher still answer 1 user fast right after heavy load?
        experiments.append(Experiment("low_after", "low", levels=(1,), hold_s=profile.low_hold_s))
    if rung.headline and profile.soak_s:
        experiments.append(
            Experiment("soak", "soak", hold_s=profile.soak_s, ramp_fraction=SOAK_FRACTION)
        )
    return experiments


def users_after_ramp(experiment: Experiment, ramp: ExperimentResult, floor: int) -> int:
    """Users for an experiment sized from the ramp's breaking point."""
    breaking = int(ramp["breaking_point"] or ramp["steps"][-1]["users"])
    users = max(1, round(experiment.ramp_fraction * breaking))
    # stress is at least the ladder's load, and at most 1000 users
    return min(max(users, floor), 1000) if experiment.ramp_fraction > 1 else users


def repeated_sweeps(rungs: list[Rung], profile: Profile) -> list[tuple[Rung, Experiment]]:
    """The headline pair's sweeps after the first, interleaved: baseline, shipped, baseline..."""
    pair = [r for r in rungs if r.headline and not r.image]
    return [
        (rung, Experiment(f"sweep_{repeat}", "sweep"))
        for repeat in range(2, profile.sweep_repeats + 1)
        for rung in pair
    ]


def estimate_s(experiments: list[Experiment], profile: Profile) -> float:
    """A rough length of a rung's experiments, for the progress display."""
    # calibrated on the quick profile here: ramp steps often end after two windows;
    # a sweep measures about 3 rising points, the bisection, and drains, and its lowest
    # rates and the points near the SLO run most of the way to the decision's cap
    step_s = profile.warmup_s + 1.5 * profile.window_s + 1
    total = 5.0  # start and stop
    for experiment in experiments:
        hold_s = experiment.hold_s or profile.hold_s
        if experiment.shape == "ramp":
            total += len(experiment.levels) * step_s
        elif experiment.shape == "sweep":
            total += (3 + profile.bisections) * (step_s + 3)
            total += (2 + profile.bisections) * 0.75 * profile.decide_cap_s
        elif experiment.shape == "cold":
            total += 2 * (hold_s + profile.warmup_s) + 5
        else:
            total += max(len(experiment.levels), 1) * (hold_s + profile.warmup_s) + 2
    return total


class Progress:
    """Print what runs and roughly how long is left."""

    def __init__(self, total_s: float) -> None:
        self.started = time.monotonic()
        self.total_s = total_s

    def say(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        left = max(self.total_s - elapsed, 0)
        print(f"[{elapsed:5.0f} s, ~{left:4.0f} s left] {text}", file=sys.stderr, flush=True)
