"""Load for either target: locust -f locustfile.py -H http://127.0.0.1:3000 (or :5000).

Workload model: closed loop, each user sends its next request as soon as the
previous answer arrives (no think time unless --think-time is given). With
--arrival-rate R it is open loop: requests leave on a schedule of Poisson
arrivals at R per second in all, whatever the answers do, and latency is also
measured from each request's scheduled send time (no coordinated omission).
Every answer is checked against scores recomputed from the shared core.

Experiments (--shape): low (1, 2, 4 users), ramp (steps until the breaking
point), sustained / stress / soak (--users held for --hold-s), cold (1 user,
then --users at once), sweep (open-loop rates from --sweep-start rising by
--sweep-factor until p99 from the schedule passes --slo-p99-ms or errors pass
1%, then --bisections points between), none (plain -u/-r/-t). Each step is written to
--step-log as JSON (loadgen/steplog.py): throughput, percentiles, errors by
status, the servers' Server-Timing breakdown, CPU-ms per request, batch sizes.
The measurement lives in the loadgen package; this file wires it to Locust.
"""

from __future__ import annotations

import os
import random
from typing import Any

import locust.runners
from locust import FastHttpUser, events, task
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment

from loadgen.openloop import RATE_MESSAGE, lateness_ms, schedule_for
from loadgen.shapes import SHAPES, ExperimentShape
from loadgen.steplog import Drained
from loadgen.windows import percentile, recorder_for
from scoring import contract, heap, vectors
from scoring.answers import check_answer
from scoring.settings import settings

__all__ = ["ExperimentShape", "ScoringUser"]

# flag, type, environment variable, default, help
# a literal data table (fmt: skip below): one row a line, which the formatter would split
OPTIONS: list[tuple[str, type, str, object, str]] = [
    ("--entities", int, "SCORING_ENTITIES", settings.entities,
     "ids are drawn from the first N seeded entities"),
    ("--id-seed", int, "LOAD_ID_SEED", 1234, "seed of each user's random id sequence"),
    ("--think-time", float, "LOAD_THINK_TIME_S", 0.0,
     "seconds each user waits between requests (0: closed loop at full speed)"),
    ("--arrival-rate", float, "LOAD_ARRIVAL_RATE", 0.0,
     "open loop: Poisson arrivals at this many requests/s in all (0: closed loop)"),
    ("--shape", str, "LOAD_SHAPE", "none",
     "experiment: low, ramp, sustained, stress, soak, cold, sweep (none: plain -u/-r/-t)"),
    ("--sweep-start", float, "LOAD_SWEEP_START", 25.0, "sweep: the first offered rate"),
    ("--sweep-factor", float, "LOAD_SWEEP_FACTOR", 2.0, "sweep: each rate over the last"),
    ("--bisections", int, "LOAD_BISECTIONS", 3,
     "sweep: points between the last rate that met the SLO and the first that did not"),
    ("--slo-p99-ms", float, "LOAD_SLO_P99_MS", 250.0,
     "sweep: a rate meets the SLO when p99 from the schedule is within this"),
    ("--levels", str, "LOAD_LEVELS", "", "comma-separated user counts replacing the shape's"),
    ("--hold-s", float, "LOAD_HOLD_S", 20.0, "measured seconds of each fixed step"),
    ("--warmup-s", float, "LOAD_WARMUP_S", 3.0, "seconds at a new level before measuring"),
    ("--window-s", float, "LOAD_WINDOW_S", 3.0,
     "measurement window; a ramp step ends when two agree within 10%%"),
    ("--step-cap-s", float, "LOAD_STEP_CAP_S", 15.0, "longest measured time of a ramp step"),
    ("--decide-cap-s", float, "LOAD_DECIDE_CAP_S", 60.0,
     "longest measured time of an open-loop point whose p99 verdict is not yet decided"),
    ("--slo-p95-ms", float, "LOAD_SLO_P95_MS", 1000.0,
     "a ramp step over this p95 is the breaking point"),
    ("--step-log", str, "LOAD_STEP_LOG", "", "write every measured step to this JSON file"),
    ("--server-pid", str, "LOAD_SERVER_PID", "",
     "server's root PID (or PIDs, comma-separated), for CPU-ms per request and memory"),
]  # fmt: skip


@events.init_command_line_parser.add_listener
def add_arguments(parser: LocustArgumentParser) -> None:
    group = parser.add_argument_group("scoring", "the project's workload and experiments")
    for flag, kind, env_var, default, text in OPTIONS:
        choices = SHAPES if flag == "--shape" else None
        group.add_argument(
            flag, type=kind, env_var=env_var, default=default, choices=choices, help=text
        )


@events.init.add_listener
def wire_measurement(environment: Environment, **_: Any) -> None:
    """Record every answer into this process's recorder; workers send theirs to the master."""
    # workers report every 3 s by default: too coarse for steps measured in seconds
    locust.runners.WORKER_REPORT_INTERVAL = 1.0
    recorder, schedule = recorder_for(environment), schedule_for(environment)
    options = environment.parsed_options
    if options is not None:
        schedule.set_rate(options.arrival_rate, options.num_users or 1)

    def record(response: Any, response_time: float, exception: Any, context: Any, **_: Any) -> None:
        status = getattr(response, "status_code", 0) or 0
        headers = getattr(response, "headers", None) or {}
        timing = headers.get("Server-Timing") or headers.get("server-timing")
        late = (context or {}).get("lateness_ms")
        recorder.record(int(status), float(response_time), exception is None, timing, late)

    def send(client_id: str, data: dict[str, Any], **_: Any) -> None:
        # the shape, which measures steps, runs on the master (windows: report-interval granular)
        data["scoring_answers"] = recorder.drain(schedule.in_flight)

    def merge(client_id: str, data: dict[str, Any], **_: Any) -> None:
        answers: Drained | None = data.get("scoring_answers")
        if answers is not None:
            recorder.merge(answers, client_id)

    def offer(msg: Any, **_: Any) -> None:
        schedule.set_rate(msg.data["rate"], msg.data["users"])

    def summarize_schedule(**_: Any) -> None:
        late = recorder.run_scheduled_ms
        if late and not isinstance(environment.runner, locust.runners.WorkerRunner):
            print(
                "latency from the scheduled send (open loop, ms): "
                + ", ".join(f"p{q:g} {percentile(late, q):.0f}" for q in (50, 90, 99, 99.9))
                + f", max {max(late):.0f}; {len(late)} answers"
            )

    environment.events.request.add_listener(record)
    environment.events.report_to_master.add_listener(send)
    environment.events.worker_report.add_listener(merge)
    environment.events.quitting.add_listener(summarize_schedule)
    if environment.runner is not None:
        environment.runner.register_message(RATE_MESSAGE, offer)


@events.init.add_listener
def freeze_heap(**_: Any) -> None:
    """Keep the generator's own full collections short, as the servers do (scoring/heap.py):
    a pause here delays every answer in flight, and open loop counts it as latency."""
    heap.freeze_startup_heap("locust")


class ScoringUser(FastHttpUser):
    """Scores random known entities and validates every answer.

    Closed loop: one request at a time. Open loop (--arrival-rate or the sweep):
    the user runs a Poisson schedule and sends each request in its own greenlet.
    """

    concurrency = 1000  # connections of one user's client: open loop keeps many in flight

    def wait_time(self) -> float:
        return float(self.environment.parsed_options.think_time)

    def on_start(self) -> None:
        options = self.environment.parsed_options
        user_index = getattr(self, "_user_index", id(self))
        self.rng = random.Random(f"{options.id_seed}/{user_index}")
        self.entities = options.entities

    def on_stop(self) -> None:
        schedule_for(self.environment).stop()

    @task
    def predict(self) -> None:
        options = self.environment.parsed_options
        if options.arrival_rate > 0 or options.shape == "sweep":
            schedule, recorder = schedule_for(self.environment), recorder_for(self.environment)

            def scheduled(at: float) -> None:
                late = lateness_ms(at)
                recorder.launch(late)
                self._send(late)

            schedule.run(scheduled, self.rng, on_schedule=recorder.schedule)
        self._send(None)

    def _send(self, late_ms: float | None) -> None:
        entity_id = vectors.entity_id_for(self.rng.randrange(self.entities))
        with self.client.post(
            contract.PREDICT_PATH,
            json={"entity_id": entity_id},
            name=contract.PREDICT_PATH,
            catch_response=True,
            context={"lateness_ms": late_ms} if late_ms is not None else {},
        ) as response:
            if response.status_code == 0:  # no HTTP answer: refused, reset, timed out
                response.failure(f"connection error: {response.error!r}")
            elif response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")
            elif problem := check_answer(entity_id, response.json()):
                response.failure(problem)


if __name__ == "__main__":
    from locust import run_single_user

    os.environ.setdefault("LOCUST_HOST", "http://127.0.0.1:3000")
    run_single_user(ScoringUser)
