"""The comparison, the project's main job: python -m harness.compare --help.

Starts Redis (a throwaway local server unless REDIS_URL is set), seeds it,
then serves each rung of the ablation ladder in turn and drives it with
locustfile.py's experiments. Writes results/<timestamp>/ (and results/latest):
report.md, report.html, plots, raw Locust CSV and HTML, and summary.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from harness import containers, environment, images, processes, redis_server, report, summary
from harness.ladder import BY_NAME, RUNGS, Rung, in_containers, start_rung
from harness.load import burst
from harness.plan import PROFILES, Experiment, Profile, Progress, estimate_s, plan, users_after_ramp
from harness.store import feature_store
from harness.summary import ExperimentResult, RungResult, Summary
from loadgen.steplog import StepLog
from scoring import features
from scoring.settings import settings

# a probe answered this fast means the server has no backlog left
DRAINED_S = 0.3
# Locust runs at a higher priority when allowed (root): it shares the cores with
# the server, and the OS otherwise delays its wake-ups, so open-loop requests
# leave late (the sweep marks such steps invalid)
LOADGEN_NICE = -10 if os.geteuid() == 0 else 0


def locust_argv(
    server: processes.Managed, experiment: Experiment, users: int | None, step_log: Path,
    profile: Profile, args: argparse.Namespace,
) -> list[str]:  # fmt: skip
    """The Locust command line of one experiment."""
    out_dir, name = step_log.parent, experiment.name
    # several processes report their answers each second, so windows get wider
    window_s = profile.window_s if args.processes == 1 else max(profile.window_s, 4.0)
    argv = [
        *(["nice", "-n", str(LOADGEN_NICE)] if LOADGEN_NICE else []),
        str(processes.BIN / "locust"), "-f", str(processes.ROOT / "locustfile.py"),
        "-H", server.url, "--headless", "--only-summary", "--shape", experiment.shape,
        "--step-log", str(step_log), "--server-pid", str(server.pid),
        "--entities", str(args.entities), "--warmup-s", str(profile.warmup_s),
        "--window-s", str(window_s), "--step-cap-s", str(profile.step_cap_s),
        "--hold-s", str(experiment.hold_s or profile.hold_s),
        "--slo-p95-ms", str(args.slo_p95_ms),
        "--csv", str(out_dir / name), "--html", str(out_dir / f"{name}.html"),
        "--loglevel", "WARNING",
    ]  # fmt: skip
    if users:
        argv += ["-u", str(users)]
    if experiment.levels:
        argv += ["--levels", ",".join(map(str, experiment.levels))]
    if experiment.shape == "sweep":
        argv += [
            "--sweep-start", str(profile.sweep_start), "--bisections", str(profile.bisections),
            "--sweep-factor", str(profile.sweep_factor), "--slo-p99-ms", str(args.slo_p99_ms),
        ]  # fmt: skip
    if args.processes > 1:
        argv += ["--processes", str(args.processes)]
    return argv


def run_experiment(
    server: processes.Managed, out_dir: Path, experiment: Experiment, users: int | None,
    profile: Profile, args: argparse.Namespace,
) -> StepLog:  # fmt: skip
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
    rung: Rung, redis_url: str, out: Path, profile: Profile, args: argparse.Namespace,
    progress: Progress,
) -> RungResult:  # fmt: skip
    """Run every experiment of one rung on one server instance, in the classic order."""
    experiments: dict[str, ExperimentResult] = {}
    rung_dir = out / rung.name
    with processes.running(start_rung(rung, redis_url, rung_dir)) as server:
        for experiment in plan(rung, profile, args.users):
            users = experiment.users
            if experiment.ramp_fraction:
                users = users_after_ramp(experiment, experiments["ramp"], args.users)
            drained_s = wait_drained(server)
            progress.say(f"{rung.name}: {experiment.name}")
            result = run_experiment(server, rung_dir, experiment, users, profile, args)
            experiments[experiment.name] = ExperimentResult(
                **result, drain_before_s=round(drained_s, 1)
            )
    return cast(RungResult, {**asdict(rung), "experiments": experiments})


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--users", type=int, default=200, help="users of the ladder comparison")
    parser.add_argument("--rungs", default=",".join(r.name for r in RUNGS),
                        help="comma-separated rungs to run")  # fmt: skip
    parser.add_argument("--entities", type=int, default=settings.entities)
    parser.add_argument("--slo-p95-ms", type=float, default=1000.0,
                        help="p95 over this marks a ramp step as the breaking point")  # fmt: skip
    parser.add_argument("--slo-p99-ms", type=float, default=250.0,
                        help="the open-loop sweep's SLO: capacity is the highest rate whose p99 "
                        "from the scheduled send is within this, errors within 1%%")  # fmt: skip
    parser.add_argument("--processes", type=int, default=1,
                        help="Locust worker processes, when one would be the limit")  # fmt: skip
    parser.add_argument("--results", type=Path, default=processes.ROOT / "results")
    parser.add_argument("--containers", action="store_true",
                        help="also serve the baseline and the shipped target from their "
                        "images (podman), with the manifests' CPU and memory limits")  # fmt: skip
    parser.add_argument("--fail-on-targets", action="store_true",
                        help="exit 1 when a performance target is missed")  # fmt: skip
    parser.add_argument("--gate-p95-ms", type=float, default=None,
                        help="SLO: exit 1 when the shipped BentoML target's p95 at --users "
                        "exceeds this")  # fmt: skip
    parser.add_argument("--gate-error-rate", type=float, default=None,
                        help="SLO: exit 1 when its error rate at --users exceeds this "
                        "(0.01 = 1%%)")  # fmt: skip
    args = parser.parse_args(argv)
    _refuse_what_cannot_run(parser, args)
    return args


def _refuse_what_cannot_run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Stop (exit 2) before anything starts: unknown rungs, gates on a rung left out, dead Redis."""
    names = [n.strip() for n in args.rungs.split(",") if n.strip()]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown or not names:
        parser.error(f"unknown rung(s) {', '.join(unknown) or '(none given)'}; "
                     f"the rungs are: {', '.join(BY_NAME)}")  # fmt: skip
    shipped = next(r.name for r in RUNGS if r.role == "shipped")
    gated = args.gate_p95_ms is not None or args.gate_error_rate is not None
    if gated and shipped not in names:
        parser.error(f"--gate-p95-ms and --gate-error-rate judge {shipped}, left out by --rungs")
    if args.containers and (problem := containers.engine_problem()):
        parser.error(f"--containers: {problem}")
    url = os.environ.get("REDIS_URL")
    if url and not redis_server.redis_answers(url):
        parser.error(f"REDIS_URL {features.redacted_url(url)} does not answer; unset it to use "
                     "a throwaway local redis-server")  # fmt: skip


def _interrupt(signum: int, frame: object) -> None:
    # SIGTERM (timeout, a CI cancel, kill) and SIGHUP clean up as Ctrl-C does:
    # every server is stopped by the block that started it
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def run(args: argparse.Namespace, argv: list[str] | None, out: Path) -> Summary:
    """Run the chosen rungs and return the run's summary (targets judged)."""
    profile = PROFILES[args.profile]
    chosen = [r for r in RUNGS if r.name in args.rungs.split(",")]
    if args.containers:  # the headline pair again, each from its image
        chosen += in_containers(chosen)
        images.build_all()
    progress = Progress(sum(estimate_s(plan(r, profile, args.users), profile) for r in chosen))
    progress.say(f"{args.profile} profile, rungs {[r.name for r in chosen]}, writing {out}")
    started = out.name
    rungs: dict[str, RungResult] = {}
    with feature_store(out, args.entities) as redis_url:
        for rung in chosen:
            rungs[rung.name] = run_rung(rung, redis_url, out, profile, args, progress)
    run = Summary(
        started=started,
        command=" ".join(["python -m harness.compare", *(argv or sys.argv[1:])]),
        profile=asdict(profile),
        users=args.users,
        locust_processes=args.processes,
        environment=environment.describe(),
        settings={**settings.model_dump(), "redis_url": features.redacted_url(settings.redis_url)},
        rungs=rungs,
        redis_url=features.redacted_url(redis_url),
        finished=_now(),
        slo={"p95_ms": args.gate_p95_ms, "error_rate": args.gate_error_rate},
        targets=[],
        sweep_slo_p99_ms=args.slo_p99_ms,
        loadgen_nice=LOADGEN_NICE,
    )
    run["targets"] = report.check_targets(run)
    progress.say(f"done: {out / 'report.md'}")
    return run


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and write the report; exit 1 when a checked target is missed."""
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    out = args.results / _now()
    out.mkdir(parents=True)
    run_summary = run(args, argv, out)
    summary.dump(run_summary, out / "summary.json")
    report.write(run_summary, out)
    latest = args.results / "latest"
    latest.unlink(missing_ok=True)
    latest.symlink_to(out.name)
    targets = run_summary["targets"]
    for target in targets:
        print(f"{'MET ' if target['met'] else 'MISS'} {target['name']}: {target['measured']}")
    missed_slo = [t for t in targets if t["met"] is False and t.get("slo")]
    missed = [t for t in targets if t["met"] is False and not t.get("slo")]
    return 1 if missed_slo or (args.fail_on_targets and missed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
