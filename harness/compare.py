"""The comparison, the project's main job: python -m harness.compare --help.

Starts Redis (a throwaway local server unless REDIS_URL is set), seeds it,
then serves each rung of the ablation ladder in turn and drives it with
locustfile.py's experiments. Writes results/<timestamp>/ (and results/latest):
report.md, report.html, plots, raw Locust CSV and HTML, and summary.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import environment, processes, report
from harness.ladder import RUNGS, Rung, start_rung
from scoring import contract, features
from scoring.settings import settings

# a probe answered this fast means the server has no backlog left
DRAINED_S = 0.3


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
    low_levels: tuple[int, ...]
    soak_s: float = 0.0


PROFILES = {
    "quick": Profile("quick", 2, 2, 8, 4, 8, 6, (2, 10, 50, 100, 200, 400, 800), (1, 4)),
    "full": Profile(
        "full", 5, 5, 60, 15, 120, 30, (2, 5, 10, 25, 50, 100, 200, 300, 400, 600, 800),
        (1, 2, 4), soak_s=600,
    ),
}  # fmt: skip


class Progress:
    """Print what runs and roughly how long is left."""

    def __init__(self, total_s: float) -> None:
        self.started = time.monotonic()
        self.total_s = total_s

    def say(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        left = max(self.total_s - elapsed, 0)
        print(f"[{elapsed:5.0f} s, ~{left:4.0f} s left] {text}", file=sys.stderr, flush=True)


def run_experiment(
    server: processes.Managed,
    out_dir: Path,
    name: str,
    shape: str,
    profile: Profile,
    args: argparse.Namespace,
    users: int | None = None,
    levels: tuple[int, ...] = (),
    hold_s: float | None = None,
) -> dict[str, Any]:
    """Drive one experiment with Locust in its own process and return its step log."""
    out_dir.mkdir(parents=True, exist_ok=True)
    step_log = out_dir / f"{name}.json"
    # several processes report their answers each second, so windows get wider
    window_s = profile.window_s if args.processes == 1 else max(profile.window_s, 4.0)
    argv = [
        str(processes.BIN / "locust"), "-f", str(processes.ROOT / "locustfile.py"),
        "-H", server.url, "--headless", "--only-summary", "--shape", shape,
        "--step-log", str(step_log), "--server-pid", str(server.pid),
        "--entities", str(args.entities), "--warmup-s", str(profile.warmup_s),
        "--window-s", str(window_s), "--step-cap-s", str(profile.step_cap_s),
        "--hold-s", str(hold_s or profile.hold_s), "--slo-p95-ms", str(args.slo_p95_ms),
        "--csv", str(out_dir / name), "--html", str(out_dir / f"{name}.html"),
        "--loglevel", "WARNING",
    ]  # fmt: skip
    if users:
        argv += ["-u", str(users)]
    if levels:
        argv += ["--levels", ",".join(map(str, levels))]
    if args.processes > 1:
        argv += ["--processes", str(args.processes)]
    with (out_dir / f"{name}.locust.log").open("wb") as log:
        subprocess.run(argv, cwd=processes.ROOT, stdout=log, stderr=subprocess.STDOUT, check=False)
    if not step_log.exists():
        raise RuntimeError(f"{name}: Locust wrote no steps, see {out_dir / name}.locust.log")
    result: dict[str, Any] = json.loads(step_log.read_text())
    return result


def wait_drained(server: processes.Managed, limit_s: float = 120.0) -> float:
    """Wait until a request is answered fast again; return the seconds it took.

    Neither gunicorn nor BentoML drops the work of a client that hung up, so
    the previous experiment's queued requests run on after its Locust exits.
    """
    started = time.monotonic()
    body = json.dumps({"entity_id": features.entity_id_for(0)}).encode()
    while time.monotonic() - started < limit_s:
        request = urllib.request.Request(
            server.url + contract.PREDICT_PATH, body, {"Content-Type": "application/json"}
        )
        sent = time.monotonic()
        with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=limit_s):
            if time.monotonic() - sent < DRAINED_S:
                break
        time.sleep(0.2)
    return time.monotonic() - started


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
    experiments = []
    if rung.batching:
        # first, on the fresh server: 1 user, then all users at once
        experiments.append(Experiment("cold", "cold", users, hold_s=profile.low_hold_s))
    experiments.append(Experiment("ladder", "sustained", users, hold_s=profile.ladder_hold_s))
    if rung.headline:
        experiments += [
            Experiment("low", "low", levels=profile.low_levels, hold_s=profile.low_hold_s),
            Experiment("ramp", "ramp", levels=profile.ramp_levels),
            Experiment("sustained", "sustained", ramp_fraction=1.0),
            Experiment("stress", "stress", ramp_fraction=2.0),
        ]
    if rung.headline or rung.batching:
        # does a batcher still answer 1 user fast right after heavy load?
        experiments.append(Experiment("low_after", "low", levels=(1,), hold_s=profile.low_hold_s))
    if rung.headline and profile.soak_s:
        experiments.append(Experiment("soak", "soak", hold_s=profile.soak_s, ramp_fraction=0.7))
    return experiments


def users_after_ramp(experiment: Experiment, ramp: dict[str, Any], floor: int) -> int:
    """Users for an experiment sized from the ramp's breaking point."""
    breaking = int(ramp["breaking_point"] or ramp["steps"][-1]["users"])
    users = max(1, round(experiment.ramp_fraction * breaking))
    # stress is at least the ladder's load, and at most 1000 users
    return min(max(users, floor), 1000) if experiment.ramp_fraction > 1 else users


def estimate_s(experiments: list[Experiment], profile: Profile) -> float:
    """A rough length of a rung's experiments, for the progress display."""
    step_s = profile.warmup_s + 2 * profile.window_s + 2
    total = 10.0  # start and stop
    for experiment in experiments:
        hold_s = experiment.hold_s or profile.hold_s
        if experiment.shape == "ramp":
            total += len(experiment.levels) * step_s
        elif experiment.shape == "cold":
            total += 2 * (hold_s + profile.warmup_s) + 5
        else:
            total += max(len(experiment.levels), 1) * (hold_s + profile.warmup_s) + 2
    return total


def run_rung(
    rung: Rung, redis_url: str, out: Path, profile: Profile, args: argparse.Namespace,
    progress: Progress,
) -> dict[str, Any]:  # fmt: skip
    """Run every experiment of one rung on one server instance, in the classic order."""
    experiments: dict[str, Any] = {}
    rung_dir = out / rung.name
    server = start_rung(rung, redis_url, rung_dir)
    try:
        for experiment in plan(rung, profile, args.users):
            users = experiment.users
            if experiment.ramp_fraction:
                users = users_after_ramp(experiment, experiments["ramp"], args.users)
            drained_s = wait_drained(server)
            progress.say(f"{rung.name}: {experiment.name}")
            result = run_experiment(
                server, rung_dir, experiment.name, experiment.shape, profile, args,
                users=users, levels=experiment.levels, hold_s=experiment.hold_s,
            )  # fmt: skip
            experiments[experiment.name] = {**result, "drain_before_s": round(drained_s, 1)}
    finally:
        server.stop()
    return {**asdict(rung), "experiments": experiments}


@contextlib.contextmanager
def feature_store(log_dir: Path, entities: int) -> Iterator[str]:
    """Yield a seeded Redis URL: REDIS_URL when set, else a throwaway local server."""
    server = None
    url = os.environ.get("REDIS_URL")
    if not url:
        server = processes.start_redis(log_dir)
        url = server.url
    client = features.sync_client(settings.model_copy(update={"redis_url": url}))
    try:
        features.seed(client, entities, settings.feature_dim)
        yield url
    finally:
        client.close()
        if server is not None:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and write the report; exit 1 when a checked target is missed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--users", type=int, default=200, help="users of the ladder comparison")
    parser.add_argument("--rungs", default=",".join(r.name for r in RUNGS),
                        help="comma-separated rungs to run")  # fmt: skip
    parser.add_argument("--entities", type=int, default=settings.entities)
    parser.add_argument("--slo-p95-ms", type=float, default=1000.0,
                        help="p95 over this marks a ramp step as the breaking point")  # fmt: skip
    parser.add_argument("--processes", type=int, default=1,
                        help="Locust worker processes, when one would be the limit")  # fmt: skip
    parser.add_argument("--results", type=Path, default=processes.ROOT / "results")
    parser.add_argument("--fail-on-targets", action="store_true",
                        help="exit 1 when a performance target is missed")  # fmt: skip
    parser.add_argument("--gate-p95-ms", type=float, default=None,
                        help="SLO: exit 1 when the shipped BentoML target's p95 at --users "
                        "exceeds this")  # fmt: skip
    parser.add_argument("--gate-error-rate", type=float, default=None,
                        help="SLO: exit 1 when its error rate at --users exceeds this "
                        "(0.01 = 1%%)")  # fmt: skip
    args = parser.parse_args(argv)

    profile = PROFILES[args.profile]
    chosen = [r for r in RUNGS if r.name in args.rungs.split(",")]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.results / stamp
    out.mkdir(parents=True)
    progress = Progress(sum(estimate_s(plan(r, profile, args.users), profile) for r in chosen))
    progress.say(f"{args.profile} profile, rungs {[r.name for r in chosen]}, writing {out}")

    summary: dict[str, Any] = {
        "started": stamp,
        "command": " ".join(["python -m harness.compare", *(argv or sys.argv[1:])]),
        "profile": asdict(profile),
        "users": args.users,
        "locust_processes": args.processes,
        "environment": environment.describe(),
        "settings": {
            **settings.model_dump(),
            "redis_url": features.redacted_url(settings.redis_url),
        },
        "rungs": {},
    }
    with feature_store(out, args.entities) as redis_url:
        summary["redis_url"] = features.redacted_url(redis_url)
        for rung in chosen:
            summary["rungs"][rung.name] = run_rung(rung, redis_url, out, profile, args, progress)
    summary["finished"] = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    summary["slo"] = {"p95_ms": args.gate_p95_ms, "error_rate": args.gate_error_rate}
    summary["targets"] = report.check_targets(summary)
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
    report.write(summary, out)
    latest = args.results / "latest"
    latest.unlink(missing_ok=True)
    latest.symlink_to(out.name)
    progress.say(f"done: {out / 'report.md'}")
    for target in summary["targets"]:
        print(f"{'MET ' if target['met'] else 'MISS'} {target['name']}: {target['measured']}")
    missed_slo = [t for t in summary["targets"] if t["met"] is False and t.get("slo")]
    missed = [t for t in summary["targets"] if t["met"] is False and not t.get("slo")]
    return 1 if missed_slo or (args.fail_on_targets and missed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
