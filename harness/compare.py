"""The comparison, the project's main job: python -m harness.compare --help.

Starts Redis (a throwaway local server unless REDIS_URL is set), seeds it,
then serves each rung of the ablation ladder in turn and drives it with
locustfile.py's experiments (harness.run). Writes results/<timestamp>/ (and
results/latest): report.md, report.html, plots, raw Locust CSV and HTML, and
summary.json.
"""

from __future__ import annotations

import argparse
import os
import signal
from pathlib import Path

from harness import containers, model_cost, processes, redis_server, report, summary
from harness.ladder import BY_NAME, RUNGS
from harness.plan import PROFILES
from harness.run import now, run
from scoring import redis_store
from scoring.settings import settings


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--users", type=int, default=200, help="users of the ladder comparison")
    parser.add_argument(
        "--rungs",
        default=None,
        help="comma-separated rungs to run (default: every rung; with --model-cost, the "
        "baseline, the shipped service and the edge service)",
    )
    parser.add_argument(
        "--model-cost",
        type=model_cost.parse,
        metavar="BASE_MS,PER_ITEM_MS",
        help="your model's batch curve: every model call of a batch of n sleeps "
        "BASE_MS + PER_ITEM_MS x n (default: 40-50 ms whatever the batch)",
    )
    parser.add_argument("--entities", type=int, default=settings.entities)
    parser.add_argument(
        "--slo-p95-ms",
        type=float,
        default=1000.0,
        help="p95 over this marks a ramp step as the breaking point",
    )
    parser.add_argument(
        "--slo-p99-ms",
        type=float,
        default=250.0,
        help="the open-loop sweep's SLO: capacity is the highest rate whose p99 "
        "from the scheduled send is within this, errors within 1%%",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="Locust worker processes, when one would be the limit",
    )
    parser.add_argument("--results", type=Path, default=processes.ROOT / "results")
    parser.add_argument(
        "--containers",
        action="store_true",
        help="also serve the baseline and the shipped target from their "
        "images (podman), with the manifests' CPU and memory limits, and the shipped "
        "target per service (each service in its own container)",
    )
    _add_gates(parser)
    args = parser.parse_args(argv)
    _refuse_what_cannot_run(parser, args)
    return args


def _add_gates(parser: argparse.ArgumentParser) -> None:
    """Options that turn missed targets or SLOs into exit status 1, to gate CI."""
    parser.add_argument(
        "--fail-on-targets", action="store_true", help="exit 1 when a performance target is missed"
    )
    parser.add_argument(
        "--gate-p95-ms",
        type=float,
        default=None,
        help="SLO: exit 1 when the shipped BentoML target's p95 at --users exceeds this",
    )
    parser.add_argument(
        "--gate-error-rate",
        type=float,
        default=None,
        help="SLO: exit 1 when its error rate at --users exceeds this (0.01 = 1%%)",
    )


def _default_rungs(args: argparse.Namespace) -> str:
    if args.model_cost is None:
        return ",".join(r.name for r in RUNGS)
    return ",".join(r.name for r in RUNGS if r.role in model_cost.DEFAULT_ROLES)


def _refuse_what_cannot_run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Stop (exit 2) before anything starts: unknown rungs, gates on a rung left out, dead Redis."""
    if args.rungs is None:
        args.rungs = _default_rungs(args)
    names = [n.strip() for n in args.rungs.split(",") if n.strip()]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown or not names:
        parser.error(
            f"unknown rung(s) {', '.join(unknown) or '(none given)'}; "
            f"the rungs are: {', '.join(BY_NAME)}"
        )
    shipped = next(r.name for r in RUNGS if r.role == "shipped")
    gated = args.gate_p95_ms is not None or args.gate_error_rate is not None
    if gated and shipped not in names:
        parser.error(f"--gate-p95-ms and --gate-error-rate judge {shipped}, left out by --rungs")
    if args.containers and (problem := containers.engine_problem()):
        parser.error(f"--containers: {problem}")
    url = os.environ.get("REDIS_URL")
    if url and not redis_server.redis_answers(url):
        parser.error(
            f"REDIS_URL {redis_store.redacted_url(url)} does not answer; unset it to use "
            "a throwaway local redis-server"
        )


def interrupt(signum: int, frame: object) -> None:
    # SIGTERM (timeout, a CI cancel, kill) and SIGHUP clean up as Ctrl-C does:
    # every server is stopped by the block that started it
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and write the report; exit 1 when a checked target is missed."""
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)
    if args.model_cost is not None:  # every server this run starts inherits it
        os.environ.update(args.model_cost.environment())
    out = args.results / now()
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
    if args.model_cost is not None and args.model_cost.per_item_ms:
        print(
            "(the targets are set for a model whose batch costs a batch of one: with your "
            "model's cost per item, read them as its figures, not as verdicts)"
        )
    missed_slo = [t for t in targets if t["met"] is False and t.get("slo")]
    missed = [t for t in targets if t["met"] is False and not t.get("slo")]
    return 1 if missed_slo or (args.fail_on_targets and missed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
