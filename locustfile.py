"""Load for either target: locust -f locustfile.py -H http://127.0.0.1:3000 (or :5000).

Workload model: closed loop, each user sends its next request as soon as the
previous answer arrives (no think time unless --think-time is given); with
--arrival-rate R the users together send R requests/s whatever the latency
(open loop, no coordinated omission while users outnumber R x latency).
Every answer is checked against scores recomputed from the shared core.

Experiments (--shape): low (1, 2, 4 users), ramp (steps until the breaking
point), sustained / stress / soak (--users held for --hold-s), cold (1 user,
then --users at once), none (plain -u/-r/-t). Each step is written to
--step-log as JSON: throughput, percentiles, errors by status, the servers'
Server-Timing breakdown, CPU-ms per request and batch sizes.
"""

from __future__ import annotations

import functools
import json
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import locust.runners
from locust import FastHttpUser, LoadTestShape, events, task
from locust.argument_parser import LocustArgumentParser

from harness import steps
from scoring import contract, features
from scoring.models import expected_scores
from scoring.settings import settings

TOLERANCE = 1e-9


@events.init_command_line_parser.add_listener
def add_arguments(parser: LocustArgumentParser) -> None:
    parser.add_argument(
        "--entities",
        type=int,
        env_var="SCORING_ENTITIES",
        default=settings.entities,
        help="ids are drawn from the first N seeded entities",
    )
    parser.add_argument(
        "--id-seed",
        type=int,
        env_var="LOAD_ID_SEED",
        default=1234,
        help="seed of each user's random id sequence",
    )
    parser.add_argument(
        "--think-time",
        type=float,
        env_var="LOAD_THINK_TIME_S",
        default=0.0,
        help="seconds each user waits between requests (0: closed loop at full speed)",
    )
    options = [
        ("--arrival-rate", float, "LOAD_ARRIVAL_RATE", 0.0,
         "open loop: requests/s for all users together (0: closed loop)"),
        ("--levels", str, "LOAD_LEVELS", "", "comma-separated user counts replacing the shape's"),
        ("--hold-s", float, "LOAD_HOLD_S", 20.0, "measured seconds of each fixed step"),
        ("--warmup-s", float, "LOAD_WARMUP_S", 3.0, "seconds at a new level before measuring"),
        ("--window-s", float, "LOAD_WINDOW_S", 3.0,
         "measurement window; a ramp step ends when two agree within 10%%"),
        ("--step-cap-s", float, "LOAD_STEP_CAP_S", 15.0, "longest measured time of a ramp step"),
        ("--slo-p95-ms", float, "LOAD_SLO_P95_MS", 1000.0,
         "a ramp step over this p95 is the breaking point"),
        ("--step-log", str, "LOAD_STEP_LOG", "", "write every measured step to this JSON file"),
        ("--server-pid", int, "LOAD_SERVER_PID", 0,
         "server's root PID, for CPU-ms per request and memory"),
    ]  # fmt: skip
    for flag, kind, env_var, default, text in options:
        parser.add_argument(flag, type=kind, env_var=env_var, default=default, help=text)
    parser.add_argument(
        "--shape", choices=steps.SHAPES, env_var="LOAD_SHAPE", default="none",
        help="experiment: low, ramp, sustained, stress, soak, cold (none: plain -u/-r/-t)",
    )  # fmt: skip


@functools.lru_cache(maxsize=100_000)
def expected_answer(entity_id: str) -> dict[str, float]:
    """Recompute the scores a correct server returns for one entity."""
    return expected_scores(features.make_features(entity_id, settings.feature_dim))


def check_answer(entity_id: str, body: Any) -> str | None:
    """Return what is wrong with a 200 body, or None when it is right."""
    if not isinstance(body, dict) or body.get("entity_id") != entity_id:
        return f"wrong entity in answer: {body!r}"
    expected = expected_answer(entity_id)
    scores = body.get("scores") or {}
    for name, value in expected.items():
        if abs(scores.get(name, float("nan")) - value) > TOLERANCE:
            return f"{name} for {entity_id}: got {scores.get(name)!r}, expected {value!r}"
    if abs(body.get("score", float("nan")) - sum(expected.values()) / 2) > TOLERANCE:
        return f"combined score for {entity_id} is wrong: {body.get('score')!r}"
    return None


RECORDER = steps.Recorder()


@events.request.add_listener
def record_answer(
    response: Any, response_time: float, exception: BaseException | None, **_: Any
) -> None:
    status = getattr(response, "status_code", 0) or 0
    headers = getattr(response, "headers", None) or {}
    timing = headers.get("Server-Timing") or headers.get("server-timing")
    RECORDER.record(int(status), float(response_time), exception is None, timing)


# workers report every 3 s by default: too coarse for steps measured in seconds
locust.runners.WORKER_REPORT_INTERVAL = 1.0


@events.report_to_master.add_listener
def send_answers(client_id: str, data: dict[str, Any], **_: Any) -> None:
    # with --processes or --worker the answers arrive in workers; the shape,
    # which measures steps, runs on the master (windows: report-interval granular)
    data["scoring_answers"] = RECORDER.drain()


@events.worker_report.add_listener
def merge_answers(client_id: str, data: dict[str, Any], **_: Any) -> None:
    if "scoring_answers" in data:
        RECORDER.merge(data["scoring_answers"])


class ScoringUser(FastHttpUser):
    """Scores random known entities and validates every answer."""

    def wait_time(self) -> float:
        options = self.environment.parsed_options
        if options.arrival_rate > 0:
            # pace each user so that all users together send arrival_rate requests/s
            pacing = max(self.environment.runner.user_count, 1) / options.arrival_rate
            return max(0.0, float(pacing) - (time.monotonic() - self.iteration_started))
        return float(options.think_time)

    def on_start(self) -> None:
        options = self.environment.parsed_options
        user_index = getattr(self, "_user_index", id(self))
        self.rng = random.Random(f"{options.id_seed}/{user_index}")
        self.entities = options.entities

    @task
    def predict(self) -> None:
        self.iteration_started = time.monotonic()
        entity_id = features.entity_id_for(self.rng.randrange(self.entities))
        with self.client.post(
            contract.PREDICT_PATH,
            json={"entity_id": entity_id},
            name=contract.PREDICT_PATH,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                return
            problem = check_answer(entity_id, response.json())
            if problem:
                response.failure(problem)


@dataclass
class Level:
    """One step of an experiment: its users and how long it is measured."""

    users: int
    hold_s: float | None  # None: until two windows agree (or the step cap)


def plan_levels(options: Any) -> list[Level]:
    """Return the steps of the chosen experiment."""
    custom = [int(u) for u in options.levels.split(",") if u.strip()]
    if options.shape == "ramp":
        return [Level(u, None) for u in custom or steps.RAMP_USERS]
    if options.shape == "low":
        return [Level(u, options.hold_s) for u in custom or steps.LOW_USERS]
    # sustained, stress, soak and cold take Locust's own -u (200 when not given)
    users = options.num_users or 200
    if options.shape == "cold":
        return [Level(1, options.hold_s), Level(users, options.hold_s)]
    return [Level(u, options.hold_s) for u in custom or [users]]


class ExperimentShape(LoadTestShape):
    """Run the --shape experiment step by step, measuring each step after a warm-up."""

    def __init__(self) -> None:
        super().__init__()
        self.levels: list[Level] | None = None
        self.result: dict[str, Any] = {}

    def _begin(self, options: Any) -> None:
        self.options = options
        self.levels = plan_levels(options)
        self.index = 0
        self.level_started = self.get_run_time()
        self.window_started: float | None = None
        self.windows: list[steps.Window] = []
        self.samples: list[steps.ProbeSample] = []
        host = self.runner.environment.host if self.runner else None
        self.probe = steps.ServerProbe(options.server_pid or None, f"{host}/metrics")
        self.result = {"shape": options.shape, "steps": [], "breaking_point": None}

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
                RECORDER.cut()  # the warm-up is not counted
                self.samples = [self.probe.sample()]
                self.window_started = now
        elif now - self.window_started >= options.window_s:
            self.windows.append(RECORDER.cut())
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
        return steps.is_stable(self.windows, 0.10) or measured >= self.options.step_cap_s

    def _finish(self, level: Level) -> None:
        step = steps.summarize(level.users, self.windows)
        step.update(steps.resource_use(self.samples[0], self.samples[-1], step["requests"]))
        step["rss_mb_by_process"] = steps.rss_series(self.samples)
        previous = self.result["steps"][-1] if self.result["steps"] else None
        self.result["steps"].append(step)
        self.index += 1
        if self.options.shape == "ramp":
            reason = steps.breaking_reason(previous, step, self.options.slo_p95_ms)
            if reason:
                self.result["breaking_point"] = level.users
                self.result["breaking_reason"] = reason
                self.index = len(self.levels or [])
        self.level_started = self.get_run_time()
        self.window_started = None
        self.windows = []
        self._write()

    def _write(self) -> None:
        if self.options.step_log:
            Path(self.options.step_log).write_text(json.dumps(self.result, indent=1))


if __name__ == "__main__":
    from locust import run_single_user

    os.environ.setdefault("LOCUST_HOST", "http://127.0.0.1:3000")
    run_single_user(ScoringUser)
