"""The experiments as Locust load shapes: each step warmed up, then measured in windows.

Closed-loop shapes step through user counts; the sweep steps through offered
rates of open-loop load (loadgen/openloop.py), chosen by loadgen/sweep.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from locust import LoadTestShape
from locust.runners import MasterRunner

from loadgen import openloop, probe, quantile, windows
from loadgen.openloop import RATE_MESSAGE, schedule_for
from loadgen.steplog import Step, StepLog
from loadgen.sweep import Sweep

SHAPES = ("none", "low", "ramp", "sustained", "stress", "soak", "cold", "sweep")
RAMP_USERS = (2, 5, 10, 25, 50, 100, 200, 300, 400, 600, 800)
LOW_USERS = (1, 2, 4)
DEFAULT_USERS = 200
# an open-loop step this far past the SLO in one window is broken: no need to wait
CLEARLY_BROKEN_P99 = 2.0
CLEARLY_BROKEN_ERRORS = 0.10
DRAIN_CAP_S = 60.0


@dataclass
class Level:
    """One step of an experiment: its users (or offered rate) and how long it is measured."""

    users: int
    hold_s: float | None  # None: until two windows agree (or the step cap)
    rate: float | None = None  # open loop: requests/s offered by all users together


def plan_levels(options: Any) -> list[Level]:
    """Return the steps of a fixed experiment (every shape but the sweep)."""
    custom = [int(u) for u in options.levels.split(",") if u.strip()]
    if options.shape == "ramp":
        return [Level(u, None) for u in custom or RAMP_USERS]
    if options.shape == "low":
        return [Level(u, options.hold_s) for u in custom or LOW_USERS]
    # sustained, stress, soak and cold take Locust's own -u (200 when not given)
    users = options.num_users or DEFAULT_USERS
    if options.shape == "cold":
        return [Level(1, options.hold_s), Level(users, options.hold_s)]
    return [Level(u, options.hold_s) for u in custom or [users]]


class ExperimentShape(LoadTestShape):
    """Run the --shape experiment step by step, measuring each step after a warm-up."""

    # the shapes read -u (users of cold, sustained, stress, soak), -r and -t (none's
    # plain run, and a time limit on any): no "will be ignored" warning, and the web
    # UI shows the fields
    use_common_options = True

    def __init__(self) -> None:
        super().__init__()
        self.level: Level | None = None
        self.drain_started: float | None = None
        self.result = StepLog(shape="none", steps=[], breaking_point=None)

    def _begin(self, options: Any) -> None:
        assert self.runner is not None
        self.options = options
        self.recorder = windows.recorder_for(self.runner.environment)
        self.fixed = [] if options.shape == "sweep" else plan_levels(options)
        self.sweep = Sweep(options.sweep_start, options.sweep_factor, options.bisections)
        self.samples: list[probe.ProbeSample] = []
        host = self.runner.environment.host
        pids = [int(pid) for pid in str(options.server_pid or "").split(",") if pid.strip()]
        self.probe = probe.ServerProbe(pids, f"{host}/metrics")
        self.result = StepLog(shape=options.shape, steps=[], breaking_point=None)
        if options.shape == "sweep":
            self.result["capacity_rps"] = None
            self.result["slo_p99_ms"] = options.slo_p99_ms
        self._start(self._next_level())

    def _next_level(self) -> Level | None:
        if self.options.shape != "sweep":
            return self.fixed.pop(0) if self.fixed else None
        rate = self.sweep.next_rate()
        return None if rate is None else Level(self._schedules(), None, rate)

    def _schedules(self) -> int:
        # open loop: one schedule per process that sends (each worker, or this one)
        runner = self.runner
        return max(runner.worker_count, 1) if isinstance(runner, MasterRunner) else 1

    def _start(self, level: Level | None) -> None:
        self.level, self.level_started = level, self.get_run_time()
        self.window_started: float | None = None
        self.windows: list[windows.Window] = []
        if level is not None and level.rate is not None:
            self._offer(level.rate, level.users)

    def _offer(self, rate: float, users: int) -> None:
        assert self.runner is not None
        # to every worker (or, running alone, to this process's own listener)
        self.runner.send_message(RATE_MESSAGE, {"rate": rate, "users": users})

    def tick(self) -> tuple[int, float] | None:
        assert self.runner is not None
        options: Any = self.runner.environment.parsed_options
        if options.shape == "none":
            limit = options.run_time
            if limit and self.get_run_time() >= limit:
                return None
            return options.num_users or 1, options.spawn_rate or 1
        if not hasattr(self, "options"):
            self._begin(options)
        if self.drain_started is not None:
            return self._drain()
        if self.level is None:
            return None
        now = self.get_run_time()
        if self.window_started is None:
            if now - self.level_started >= options.warmup_s:
                self.recorder.cut()  # the warm-up is not counted
                self.samples = [self.probe.sample()]
                self.window_started = now
        elif now - self.window_started >= options.window_s:
            self.windows.append(self.recorder.cut())
            self.samples.append(self.probe.sample())
            self.window_started = now
            if self._level_done(self.level):
                self._finish(self.level)
        return (self.level.users, float(self.level.users)) if self.level else None

    def _in_flight(self) -> int:
        assert self.runner is not None
        if isinstance(self.runner, MasterRunner):
            return sum(self.recorder.in_flight_by_worker.values())
        return schedule_for(self.runner.environment).in_flight

    def _drain(self) -> tuple[int, float] | None:
        """Offer nothing until the answers of a broken step are in, so the next starts clean."""
        assert self.drain_started is not None
        if self._in_flight() == 0 or self.get_run_time() - self.drain_started > DRAIN_CAP_S:
            self.drain_started = None
            self._start(self._next_level())
        users = self._schedules()
        return (users, float(users)) if self.level or self.drain_started else None

    def _level_done(self, level: Level) -> bool:
        measured = sum(w.ended - w.started for w in self.windows)
        if level.hold_s is not None:
            return measured >= level.hold_s - 0.5
        if level.rate is not None:
            # an open-loop point runs until its p99 verdict is decided, or to the cap
            slo = self.options.slo_p99_ms
            if _clearly_broken(self.windows[-1], slo):
                return True
            decided = len(self.windows) >= 2 and _p99_decided(self.windows, slo)
            return decided or measured >= self.options.decide_cap_s
        return windows.is_stable(self.windows) or measured >= self.options.step_cap_s

    def _finish(self, level: Level) -> None:
        step = self._measure(level)
        steps = self.result["steps"]
        previous = steps[-1] if steps else None
        steps.append(step)
        next_level: Level | None = None
        if "open_loop" in step:
            point = step["open_loop"]
            met = openloop.within_slo(point, self.options.slo_p99_ms)
            if point["valid"]:
                self.sweep.record(level.rate or 0.0, met, decided=point["meets_slo"])
            else:
                self.sweep.invalid(level.rate or 0.0)
            self.result["capacity_rps"] = self.sweep.capacity
            self.result["generator_limit_rps"] = self.sweep.generator_limit
            if not met:
                self._offer(0.0, level.users)
                self.drain_started = self.get_run_time()
                self._write()
                return
            next_level = self._next_level()
        elif self.options.shape == "ramp" and (
            reason := windows.breaking_reason(previous, step, self.options.slo_p95_ms)
        ):
            self.result["breaking_point"] = level.users
            self.result["breaking_reason"] = reason
        else:
            next_level = self._next_level()
        self._start(next_level)
        self._write()

    def _measure(self, level: Level) -> Step:
        measured = windows.summarize(level.users, self.windows)
        use = probe.resource_use(self.samples[0], self.samples[-1], measured["requests"])
        step = cast(Step, {**measured, **use, "rss_mb_by_process": probe.rss_series(self.samples)})
        if level.rate is not None:
            step["open_loop"] = openloop.summarize(
                self.windows, level.rate, self.options.slo_p99_ms, use["loadgen_cpu_cores"]
            )
        return step

    def _write(self) -> None:
        if self.options.step_log:
            Path(self.options.step_log).write_text(json.dumps(self.result, indent=1))


def _p99_decided(measured: list[windows.Window], slo_p99_ms: float) -> bool:
    """Whether the p99 of these windows is decided against the SLO at 95% confidence."""
    latencies = [ms for w in measured for ms in w.scheduled_ms]
    return quantile.verdict(*quantile.bounds(latencies, 0.99), slo_p99_ms) != "undecided"


def _clearly_broken(window: windows.Window, slo_p99_ms: float) -> bool:
    if not window.scheduled_ms:
        return False
    p99 = windows.percentile(window.scheduled_ms, 99)
    errors = window.failures / max(window.count, 1)
    return p99 > CLEARLY_BROKEN_P99 * slo_p99_ms or errors > CLEARLY_BROKEN_ERRORS
