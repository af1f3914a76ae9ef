"""The experiments as Locust load shapes: each step warmed up, then measured in windows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from locust import LoadTestShape

from loadgen import probe, windows
from loadgen.steplog import Step, StepLog

SHAPES = ("none", "low", "ramp", "sustained", "stress", "soak", "cold")
RAMP_USERS = (2, 5, 10, 25, 50, 100, 200, 300, 400, 600, 800)
LOW_USERS = (1, 2, 4)
DEFAULT_USERS = 200


@dataclass
class Level:
    """One step of an experiment: its users and how long it is measured."""

    users: int
    hold_s: float | None  # None: until two windows agree (or the step cap)


def plan_levels(options: Any) -> list[Level]:
    """Return the steps of the chosen experiment."""
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

    def __init__(self) -> None:
        super().__init__()
        self.levels: list[Level] | None = None
        self.result = StepLog(shape="none", steps=[], breaking_point=None)

    def _begin(self, options: Any) -> None:
        assert self.runner is not None
        self.options = options
        self.recorder = windows.recorder_for(self.runner.environment)
        self.levels = plan_levels(options)
        self.index = 0
        self.level_started = self.get_run_time()
        self.window_started: float | None = None
        self.windows: list[windows.Window] = []
        self.samples: list[probe.ProbeSample] = []
        host = self.runner.environment.host
        self.probe = probe.ServerProbe(options.server_pid or None, f"{host}/metrics")
        self.result = StepLog(shape=options.shape, steps=[], breaking_point=None)

    def tick(self) -> tuple[int, float] | None:
        assert self.runner is not None
        options: Any = self.runner.environment.parsed_options
        if options.shape == "none":
            limit = options.run_time
            if limit and self.get_run_time() >= limit:
                return None
            return options.num_users or 1, options.spawn_rate or 1
        if self.levels is None:
            self._begin(options)
        assert self.levels is not None
        if self.index >= len(self.levels):
            return None
        level = self.levels[self.index]
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
            if self._level_done(level):
                self._finish(level)
                if self.index >= len(self.levels):
                    return None
                level = self.levels[self.index]
        return level.users, float(level.users)

    def _level_done(self, level: Level) -> bool:
        measured = sum(w.ended - w.started for w in self.windows)
        if level.hold_s is not None:
            return measured >= level.hold_s - 0.5
        return windows.is_stable(self.windows) or measured >= self.options.step_cap_s

    def _finish(self, level: Level) -> None:
        measured = windows.summarize(level.users, self.windows)
        use = probe.resource_use(self.samples[0], self.samples[-1], measured["requests"])
        step = Step(**measured, **use, rss_mb_by_process=probe.rss_series(self.samples))
        steps = self.result["steps"]
        previous = steps[-1] if steps else None
        steps.append(step)
        self.index += 1
        if self.options.shape == "ramp":
            reason = windows.breaking_reason(previous, step, self.options.slo_p95_ms)
            if reason:
                self.result["breaking_point"] = level.users
                self.result["breaking_reason"] = reason
                self.index = len(self.levels or [])
        self.level_started = self.get_run_time()
        self.window_started = None
        self.windows = []
        if self.options.step_log:
            Path(self.options.step_log).write_text(json.dumps(self.result, indent=1))
