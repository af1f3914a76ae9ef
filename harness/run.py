"""The comparison's run: serve each rung in turn and drive its experiments with Locust.

harness.compare is its command line; this module starts Redis (a throwaway
local server unless REDIS_URL is set), seeds it, then serves each rung of the
ablation ladder and runs locustfile.py's experiments against it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from harness import environment, images, processes, report
from harness.ladder import RUNGS, Rung, in_containers, start_rung
from harness.load import burst
from harness.plan import (
    PROFILES,
    Experiment,
    Profile,
    Progress,
    estimate_s,
    plan,
    repeated_sweeps,
    users_after_ramp,
)
from harness.store import feature_store
from harness.summary import ExperimentResult, RungResult, Summary
from loadgen.steplog import StepLog
from scoring.redis_store import redacted_url
from scoring.settings import Settings, load, settings

# a probe answered this fast means the server has no backlog left
DRAINED_S = 0.3
# Locust runs at a higher priority when allowed (root): it shares the cores with
# the server, and the OS otherwise delays its wake-ups, so open-loop requests
# leave late (the sweep marks such steps invalid)
LOADGEN_NICE = -10 if os.geteuid() == 0 else 0


def now() -> str:
    """The current UTC time as a run's folder name."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _flags(options: dict[str, object]) -> list[str]:
    return [part for flag, value in options.items() for part in (flag, str(value))]


def locust_argv(
    server: processes.Managed,
    experiment: Experiment,
    users: int | None,
    step_log: Path,
    profile: Profile,
    args: argparse.Namespace,
) -> list[str]:
    """The Locust command line of one experiment."""
    out_dir, name = step_log.parent, experiment.name
    # several processes report their answers each second, so windows get wider
    window_s = profile.window_s if args.processes == 1 else max(profile.window_s, 4.0)
    options: dict[str, object] = {
        "-f": processes.ROOT / "locustfile.py",
        "-H": server.url,
        "--shape": experiment.shape,
        "--step-log": step_log,
        "--server-pid": ",".join(str(pid) for pid in server.pids),
        "--entities": args.entities,
        "--warmup-s": profile.warmup_s,
        "--window-s": window_s,
        "--step-cap-s": profile.step_cap_s,
        "--hold-s": experiment.hold_s or profile.hold_s,
        "--slo-p95-ms": args.slo_p95_ms,
        "--csv": out_dir / name,
        "--html": out_dir / f"{name}.html",
        "--loglevel": "WARNING",
    }
    if users:
        options["-u"] = users
    if experiment.levels:
        options["--levels"] = ",".join(map(str, experiment.levels))
    if experiment.shape == "sweep":
        options["--sweep-start"] = profile.sweep_start
        options["--bisections"] = profile.bisections
        options["--decide-cap-s"] = profile.decide_cap_s
        options["--sweep-factor"] = profile.sweep_factor
        options["--slo-p99-ms"] = args.slo_p99_ms
    if args.processes > 1:
        options["--processes"] = args.processes
    nice = ["nice", "-n", str(LOADGEN_NICE)] if LOADGEN_NICE else []
    return [*nice, str(processes.BIN / "locust"), "--headless", "--only-summary", *_flags(options)]


def run_experiment(
    server: processes.Managed,
    out_dir: Path,
    experiment: Experiment,
    users: int | None,
    profile: Profile,
    args: argparse.Namespace,
) -> StepLog:
    """Drive one experiment with Locust in its own process and return its step log."""
    out_dir.mkdir(parents=True, exist_ok=True)
    step_log = out_dir / f"{experiment.name}.json"
    argv = locust_argv(server, experiment, users, step_log, profile, args)
    with (out_dir / f"{experiment.name}.locust.log").open("wb") as log:
        subprocess.run(argv, cwd=processes.ROOT, stdout=log, stderr=subprocess.STDOUT, check=False)
    if not step_log.exists():
        raise RuntimeError(
            f"{experiment.name}: Locust wrote no steps, see {out_dir / experiment.name}.locust.log"
        )
    result: StepLog = json.loads(step_log.read_text())
    return result


def wait_drained(server: processes.Managed, limit_s: float = 120.0) -> float:
    """Wait until a request is answered fast again; return the seconds it took.

    Neither gunicorn nor BentoML drops the work of a client that hung up, so
    the previous experiment's queued requests run on after its Locust exits.
    """
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        (answer,) = asyncio.run(burst(server.url, 1, timeout_s=limit_s))
        if answer.status == 200 and answer.seconds < DRAINED_S:
            break
        time.sleep(0.2)
    return time.monotonic() - started


def run_rung(
    rung: Rung,
    redis_url: str,
    out: Path,
    profile: Profile,
    args: argparse.Namespace,
    progress: Progress,
) -> RungResult:
    """Run every experiment of one rung on one server instance, in the classic order."""
    experiments: dict[str, ExperimentResult] = {}
    with processes.running(start_rung(rung, redis_url, out / rung.name)) as server:
        for experiment in plan(rung, profile, args.users):
            users = experiment.users
            if experiment.ramp_fraction:
                users = users_after_ramp(experiment, experiments["ramp"], args.users)
            experiments[experiment.name] = _after_drain(
                server, rung, experiment, users, out, profile, args, progress
            )
    return cast(RungResult, {**asdict(rung), "experiments": experiments})


def _after_drain(
    server: processes.Managed,
    rung: Rung,
    experiment: Experiment,
    users: int | None,
    out: Path,
    profile: Profile,
    args: argparse.Namespace,
    progress: Progress,
) -> ExperimentResult:
    """One experiment on a rung's server once the previous one's work has drained."""
    drained_s = wait_drained(server)
    progress.say(f"{rung.name}: {experiment.name}")
    result = run_experiment(server, out / rung.name, experiment, users, profile, args)
    return ExperimentResult(**result, drain_before_s=round(drained_s, 1))


def run(args: argparse.Namespace, argv: list[str] | None, out: Path) -> Summary:
    """Run the chosen rungs and return the run's summary (targets judged)."""
    profile = PROFILES[args.profile]
    chosen = [r for r in RUNGS if r.name in args.rungs.split(",")]
    if args.containers:  # the headline pair again, each from its image
        chosen += in_containers(chosen)
        images.build_all()
    repeats = repeated_sweeps(chosen, profile)
    progress = Progress(
        sum(estimate_s(plan(r, profile, args.users), profile) for r in chosen)
        + sum(estimate_s([e], profile) for _, e in repeats)
    )
    progress.say(f"{args.profile} profile, rungs {[r.name for r in chosen]}, writing {out}")
    started = out.name
    rungs: dict[str, RungResult] = {}
    with feature_store(out, args.entities) as redis_url:
        for rung in chosen:
            rungs[rung.name] = run_rung(rung, redis_url, out, profile, args, progress)
        for rung, experiment in repeats:  # each on a fresh server of its rung
            with processes.running(start_rung(rung, redis_url, out / rung.name)) as server:
                rungs[rung.name]["experiments"][experiment.name] = _after_drain(
                    server, rung, experiment, None, out, profile, args, progress
                )
    run = Summary(
        started=started,
        command=" ".join(["python -m harness.compare", *(argv or sys.argv[1:])]),
        profile=asdict(profile),
        users=args.users,
        locust_processes=args.processes,
        environment=environment.describe(),
        settings={
            # as the servers read them: --model-cost changes the environment at start
            **load(Settings).model_dump(),
            "redis_url": redacted_url(settings.redis_url),
        },
        rungs=rungs,
        redis_url=redacted_url(redis_url),
        finished=now(),
        slo={"p95_ms": args.gate_p95_ms, "error_rate": args.gate_error_rate},
        targets=[],
        sweep_slo_p99_ms=args.slo_p99_ms,
        loadgen_nice=LOADGEN_NICE,
    )
    run["targets"] = report.check_targets(run)
    progress.say(f"done: {out / 'report.md'}")
    return run
