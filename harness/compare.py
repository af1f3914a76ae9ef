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
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import environment, processes, report
from scoring import contract, features
from scoring.settings import settings

SYNC_WORKERS = 2 * (os.cpu_count() or 1) + 1
# The baseline's queue-time shedding is off in the comparison: at 200 users
# (4x its capacity) its 1 s default would answer most requests 503 in about a
# second, and the comparison is of throughput and latency, not of who sheds.
# BentoML's shedding stays on; its steady states here shed nothing.
SYNC_COMPARISON_ENV = {"SYNC_QUEUE_TIMEOUT_MS": "0"}
# a probe answered this fast means the server has no backlog left
DRAINED_S = 0.3


@dataclass(frozen=True)
class Rung:
    """One configuration of the same code, and the factor it isolates."""

    name: str
    kind: str  # "sync", "bento" or "edge"
    title: str
    resources: str
    isolates: str
    env: dict[str, str] = field(default_factory=dict)


RUNGS = (
    Rung(
        "sync-seq",
        "sync",
        "Flask, sync, models one after the other (baseline)",
        f"gunicorn: {SYNC_WORKERS} sync worker processes x 1 thread, 1 instance of each model "
        "per worker, queue-time shedding off",
        "the baseline",
        SYNC_COMPARISON_ENV,
    ),
    Rung(
        "sync-par",
        "sync",
        "Flask, sync, the two model calls in parallel threads",
        f"gunicorn: {SYNC_WORKERS} sync workers, each with a 2-thread pool for the model calls",
        "concurrent fan-out of the two model calls",
        {**SYNC_COMPARISON_ENV, "SYNC_PARALLEL_MODELS": "1"},
    ),
    Rung(
        "async-nobatch",
        "bento",
        "BentoML, async entry, model services without batching",
        "3 processes: entry service (1 worker, event loop) + ModelA + ModelB services "
        "(1 worker each), batching off: one request per model call",
        "event-loop concurrency instead of worker-bound concurrency",
        {"SCORING_MODEL_BATCHER": "none"},
    ),
    Rung(
        "async-runners",
        "bento",
        "BentoML, async entry, batched model services (shipped)",
        "3 processes: entry service (1 worker) + ModelA + ModelB services (1 worker, "
        f"adaptive batching, max_batch_size={settings.max_batch_size}, "
        f"max_latency_ms={settings.max_latency_ms})",
        "adaptive batching in the model services",
    ),
    Rung(
        "async-runners-continuous",
        "bento",
        "BentoML, async entry, model services with a continuous batcher",
        "3 processes as async-runners; the model services' API is not batchable and feeds "
        f"an in-process continuous batcher (max {settings.max_batch_size})",
        "BentoML's adaptive batcher against batching without a learned wait",
        {"SCORING_MODEL_BATCHER": "continuous"},
    ),
    Rung(
        "async-edge",
        "edge",
        "BentoML, async entry batching at the edge, models in process",
        f"1 process: EdgeScorer (1 worker), continuous batcher (max {settings.max_batch_size}), "
        "one MGET and one call of each model per batch",
        "the cost of the hop to the model services (runners)",
    ),
)
HEADLINE = ("sync-seq", "async-runners")


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


def start_rung(rung: Rung, redis_url: str, log_dir: Path) -> processes.Managed:
    """Serve one rung on a free port with its environment."""
    if rung.kind == "sync":
        return processes.start_sync(log_dir, redis_url, workers=SYNC_WORKERS, env=rung.env)
    service = "service.edge:EdgeScorer" if rung.kind == "edge" else None
    return processes.start_bento(log_dir, redis_url, env=rung.env, service=service)


def run_rung(
    rung: Rung, redis_url: str, out: Path, profile: Profile, args: argparse.Namespace,
    progress: Progress,
) -> dict[str, Any]:  # fmt: skip
    """Run every experiment of one rung on one server instance, in the classic order."""
    experiments: dict[str, Any] = {}
    rung_dir = out / rung.name
    server = start_rung(rung, redis_url, rung_dir)
    try:

        def run(name: str, shape: str, **kwargs: Any) -> dict[str, Any]:
            drained_s = wait_drained(server)
            progress.say(f"{rung.name}: {name}")
            result = run_experiment(server, rung_dir, name, shape, profile, args, **kwargs)
            experiments[name] = {**result, "drain_before_s": round(drained_s, 1)}
            return dict(experiments[name])

        if rung.kind != "sync" and rung.name != "async-nobatch":
            # first, on the fresh server: 1 user, then all users at once
            run("cold", "cold", users=args.users, hold_s=profile.low_hold_s)
        run("ladder", "sustained", users=args.users, hold_s=profile.ladder_hold_s)
        if rung.name in HEADLINE:
            run("low", "low", levels=profile.low_levels, hold_s=profile.low_hold_s)
            ramp = run("ramp", "ramp", levels=profile.ramp_levels)
            steps = ramp["steps"]
            breaking = ramp["breaking_point"] or steps[-1]["users"]
            run("sustained", "sustained", users=breaking)
            run("stress", "stress", users=min(max(2 * breaking, args.users), 1000))
            run("low_after", "low", levels=(1,), hold_s=profile.low_hold_s)
            if profile.soak_s:
                soak_users = max(1, round(0.7 * breaking))
                run("soak", "soak", users=soak_users, hold_s=profile.soak_s)
        elif rung.kind != "sync" and rung.name != "async-nobatch":
            # does the batcher still answer 1 user fast right after heavy load?
            run("low_after", "low", levels=(1,), hold_s=profile.low_hold_s)
    finally:
        server.stop()
    return {**asdict(rung), "experiments": experiments}


def estimate_s(profile: Profile) -> float:
    """A rough length of the whole run, for the progress display."""
    step = profile.warmup_s + 2 * profile.window_s + 2
    headline = (
        len(profile.low_levels) * (profile.low_hold_s + profile.warmup_s)
        + len(profile.ramp_levels) * step
        + 3 * (profile.hold_s + profile.warmup_s)
        + profile.soak_s
    )
    per_rung = profile.ladder_hold_s + profile.warmup_s + 10
    cold = 3 * (profile.low_hold_s + profile.warmup_s) + 5
    return len(RUNGS) * per_rung + 2 * headline + 3 * cold


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
    progress = Progress(estimate_s(profile) * len(chosen) / len(RUNGS))
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
