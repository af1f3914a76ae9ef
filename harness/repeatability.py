"""Do separate runs agree? python -m harness.repeatability RUN_DIR RUN_DIR ... --out DIR.

Reads the summaries of several comparisons (each one `./scripts/compare.sh`,
ideally from a fresh clone) and checks the headline target: the shipped
service's capacity under the SLO, and its ratio to the baseline's, each within
TOLERANCE of their median over the runs. A run's figure is the median of its
own sweeps of the headline pair (a quick run sweeps the pair 3 times); a run
whose sweeps were all ended by the load generator gives a lower bound, and the
check is then undecided. Writes repeatability.json and report.md into --out.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from harness import summary
from harness.report import repeats
from harness.report.run import Run
from harness.report.text import fmt

TOLERANCE = 0.15  # the issue's target: within +-15% of the runs' median


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def run_figures(run_dir: Path) -> dict[str, Any]:
    """One run's commit, its headline pair's sweeps, and their medians."""
    run = Run(summary.load(run_dir / "summary.json"))
    base, shipped = run.named("baseline"), run.named("shipped")
    if base is None or shipped is None:
        raise SystemExit(f"{run_dir}: the run has no baseline and shipped rung to compare")
    pair = {
        role: repeats.sweeps(run, name) for role, name in (("baseline", base), ("shipped", shipped))
    }
    caps = {role: [s.get("capacity_rps") for s in done] for role, done in pair.items()}
    limited = [bool(s.get("generator_limit_rps")) for s in pair["shipped"]]
    ratios = [s / b for b, s in zip(caps["baseline"], caps["shipped"], strict=False) if b and s]
    return {
        "run": run_dir.name,
        "path": str(run_dir),
        "commit": run.environment.get("commit"),
        "dirty": run.environment.get("dirty"),
        "baseline": caps["baseline"],
        "shipped": caps["shipped"],
        "shipped_lower_bound": limited,
        "shipped_median": _median([c for c in caps["shipped"] if c]),
        "ratio_median": _median(ratios),
    }


def agreement(values: list[float | None]) -> dict[str, Any]:
    """The runs' median, each run's distance from it, and whether all lie within TOLERANCE."""
    known = [v for v in values if v is not None]
    if len(known) < len(values) or not known:
        return {"median": _median(known), "worst": None, "met": None}
    median = statistics.median(known)
    worst = max(abs(v - median) / median for v in known)
    return {"median": median, "worst": worst, "met": worst <= TOLERANCE}


def check(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The target over the runs: capacity and ratio each within TOLERANCE of their median."""
    capacity = agreement([r["shipped_median"] for r in runs])
    ratio = agreement([r["ratio_median"] for r in runs])
    bounded = any(all(r["shipped_lower_bound"]) for r in runs)
    if bounded:  # a run's median is only a lower bound: its distance is not known
        capacity["met"] = ratio["met"] = None
    return {"runs": runs, "capacity": capacity, "ratio": ratio, "tolerance": TOLERANCE}


def _verdict(target: dict[str, Any], digits: int, unit: str = "") -> str:
    met = target["met"]
    worst = (
        f"; the furthest run {target['worst']:.0%} from it" if target["worst"] is not None else ""
    )
    word = {True: "met", False: "missed", None: "not decided"}[met]
    return f"median {fmt(target['median'], digits)}{unit}{worst}: **{word}**"


def _pooled(runs: list[dict[str, Any]]) -> list[str]:
    """Every sweep of every run together: the medians and ranges a single figure hides."""
    lines = []
    for role in ("baseline", "shipped"):
        caps = [c for r in runs for c in r[role] if c]
        if caps:
            lines.append(
                f"- {role}, all {len(caps)} sweeps pooled: median {fmt(statistics.median(caps))}"
                f" rps, range {fmt(min(caps))}-{fmt(max(caps))}"
            )
    return lines


def render(result: dict[str, Any], command: str, out: Path) -> str:
    lines = [
        "# Do separate runs agree?",
        "",
        f"`{command}`: the shipped service's capacity under the SLO (p99 <= 250 ms, open "
        "loop) and its ratio to the Flask baseline's, from separate runs, each figure the "
        "median of the run's own sweeps of the headline pair (`>=`: the load generator fell "
        f"behind first). Target: each within {TOLERANCE:.0%} of the runs' median.",
        "",
        "| run | commit | baseline rps, each sweep | shipped rps, each sweep | shipped median "
        "| ratio median |",
        "|---|---|---|---|---:|---:|",
    ]
    for r in result["runs"]:
        shipped = ", ".join(
            f"{'>= ' if low else ''}{fmt(c)}"
            for c, low in zip(r["shipped"], r["shipped_lower_bound"], strict=True)
        )
        link = f"[{r['run']}]({os.path.relpath(r['path'], out)}/report.md)"
        lines.append(
            f"| {link} | `{str(r['commit'])[:7]}` | "
            f"{', '.join(fmt(c) for c in r['baseline'])} | {shipped} | "
            f"{fmt(r['shipped_median'])} | {fmt(r['ratio_median'], 2)}x |"
        )
    lines += [
        "",
        f"- shipped capacity: {_verdict(result['capacity'], 0, ' rps')}",
        f"- its ratio to the baseline: {_verdict(result['ratio'], 2, 'x')}",
        *_pooled(result["runs"]),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.repeatability", description=__doc__)
    parser.add_argument("runs", nargs="+", type=Path, help="run directories (with summary.json)")
    parser.add_argument("--out", type=Path, required=True, help="where to write the report")
    args = parser.parse_args(argv)
    result = check([run_figures(d) for d in args.runs])
    args.out.mkdir(parents=True, exist_ok=True)
    given = sys.argv[1:] if argv is None else argv
    command = " ".join(["python -m harness.repeatability", *given])
    (args.out / "repeatability.json").write_text(
        json.dumps({"command": command, **result}, indent=2) + "\n"
    )
    (args.out / "report.md").write_text(render(result, command, args.out))
    print(f"wrote {args.out / 'report.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
