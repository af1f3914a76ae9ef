"""What batching gains as a batch costs more per item: python -m harness.cost_curve --help.

Runs the comparison once per per-item cost (`python -m harness.compare
--model-cost BASE,PER_ITEM`: the baseline, the shipped service and the edge
service), each into its own directory under <results>/cost-curve-<time>/,
then writes there report.md, cost_curve.png and cost_curve.json: closed-loop
throughput and capacity under the SLO of each rung against the per-item cost,
and where batching stops paying. `--render DIR` writes them again from the runs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from harness import compare, model_cost, processes, summary
from harness.report import capacity
from harness.report.cost_curve import decided, render
from harness.report.measures import ladder_step
from harness.report.run import Run
from loadgen.openloop import within_slo

ROLES = model_cost.DEFAULT_ROLES


def default_costs() -> list[float]:
    """The profiles' per-item costs, and one between flat and the accelerator's."""
    named = sorted({p.cost.per_item_ms for p in model_cost.PROFILES.values()})
    return sorted({*named, 2.0})


def point(run_dir: Path) -> dict[str, Any]:
    """One run's per-item cost, and for each rung its throughput and capacity."""
    run = Run(summary.load(run_dir / "summary.json"))
    settings = run.summary["settings"]
    rungs: dict[str, Any] = {}
    for role in ROLES:
        name, step = run.named(role), ladder_step(run, role)
        if name is None or step is None:
            continue
        rungs[role] = {
            "rung": name,
            "rps": step["rps"],
            "p99_ms": step["p99_ms"],
            "capacity_rps": capacity.capacity(run, name),
            "generator_limit_rps": capacity.generator_limit(run, name),
            "estimate_rps": _estimate(run, name),
            "answers": step["requests"],
            "predicted_rps": capacity.saturation(run, name),
        }
    return {
        "run": run_dir.name,
        "base_ms": settings["model_sleep_min_ms"],
        "per_item_ms": settings["model_item_cost_ms"],
        "users": run.users,
        "commit": run.environment.get("commit"),
        "rungs": rungs,
    }


def _estimate(run: Run, name: str) -> float | None:
    """The highest valid rate whose p99 met the SLO, decided or not (too few answers)."""
    met = [
        s["open_loop"]["offered_rps"]
        for s in run.swept.get(name, [])
        if s["open_loop"]["valid"] and within_slo(s["open_loop"], run.slo_ms)
    ]
    return max(met, default=None)


def crossover(points: list[dict[str, Any]], measure: str) -> tuple[float, float] | None:
    """The per-item costs between which the shipped rung falls to the baseline or below."""

    def ratio(p: dict[str, Any]) -> float:
        return float(p["rungs"]["shipped"][measure] / p["rungs"]["baseline"][measure])

    for before, after in itertools.pairwise(decided(points, measure)):
        if ratio(before) > 1 >= ratio(after):
            return before["per_item_ms"], after["per_item_ms"]
    return None


def write(out: Path, command: str) -> dict[str, Any]:
    """Gather the runs under `out` into cost_curve.json, report.md and cost_curve.png."""
    runs = sorted(d for d in out.iterdir() if (d / "summary.json").is_file())
    points = sorted((point(d) for d in runs), key=lambda p: p["per_item_ms"])
    curve = {
        "command": command,
        "points": points,
        "crossover_rps": crossover(points, "rps"),
        "crossover_capacity": crossover(points, "capacity_rps"),
        "profiles": {
            name: {"per_item_ms": p.cost.per_item_ms, "source": p.source}
            for name, p in model_cost.PROFILES.items()
        },
    }
    (out / "cost_curve.json").write_text(json.dumps(curve, indent=2) + "\n")
    render(curve, out)
    return curve


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness.cost_curve", description=__doc__)
    parser.add_argument(
        "--per-item",
        type=_costs,
        default=None,
        help="ms per item, comma-separated (default: the profiles' and 2)",
    )
    parser.add_argument("--base", type=float, default=model_cost.BASE_MS, help="ms per call")
    parser.add_argument("--profile", default="quick", help="the comparison's profile")
    parser.add_argument("--processes", type=int, default=1, help="Locust worker processes")
    parser.add_argument("--results", type=Path, default=processes.ROOT / "results")
    parser.add_argument(
        "--render", type=Path, help="a cost-curve directory: write its report again"
    )
    return parser


def _costs(text: str) -> list[float]:
    try:
        costs = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give milliseconds, comma-separated") from None
    if not costs or not all(math.isfinite(c) and c >= 0 for c in costs):
        raise argparse.ArgumentTypeError(f"{text!r}: every cost finite and not below 0")
    return costs


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.render is not None:
        earlier = json.loads((args.render / "cost_curve.json").read_text())
        write(args.render, earlier["command"])
        return 0
    out = args.results / time.strftime("cost-curve-%Y%m%dT%H%M%SZ", time.gmtime())
    out.mkdir(parents=True)
    for per_item in args.per_item or default_costs():
        compare.main(
            [
                f"--model-cost={args.base:g},{per_item:g}",
                f"--profile={args.profile}",
                f"--processes={args.processes}",
                f"--results={out}",
            ]
        )
    (out / "latest").unlink(missing_ok=True)
    given = sys.argv[1:] if argv is None else argv
    command = " ".join(["python -m harness.cost_curve", *given])
    curve = write(out, command)
    print(f"wrote {out / 'report.md'}; crossover (capacity): {curve['crossover_capacity']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
