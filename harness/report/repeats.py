"""The headline pair's repeated sweeps: each capacity, their median and range, their ratio."""

from __future__ import annotations

import statistics

from harness.report.run import Run
from harness.report.text import fmt
from harness.summary import ExperimentResult


def sweeps(run: Run, name: str) -> list[ExperimentResult]:
    """A rung's sweeps in the order they ran: the first, then its repeats (sweep_2, ...)."""
    experiments = run.rungs[name]["experiments"]
    repeats = sorted((k for k in experiments if k.startswith("sweep_")), key=lambda k: int(k[6:]))
    return [experiments[k] for k in ("sweep", *repeats) if k in experiments]


def _capacities(done: list[ExperimentResult]) -> list[float]:
    return [c for s in done if (c := s.get("capacity_rps")) is not None]


def _figure(sweep: ExperimentResult) -> str:
    at_least = ">= " if sweep.get("generator_limit_rps") else ""
    return f"{at_least}{fmt(sweep.get('capacity_rps'))}"


def _rung_line(name: str, done: list[ExperimentResult]) -> str:
    caps = _capacities(done)
    if not caps:
        return f"- **{name}**: no sweep found a capacity"
    median = statistics.median(caps)
    worst = max(abs(c - median) / median for c in caps)
    limited = sum(1 for s in done if s.get("generator_limit_rps"))
    spread = (
        f"{limited} of {len(done)} are lower bounds, so their spread is the generator's, "
        "not the service's"
        if limited
        else f"at most {worst:.0%} from the median"
    )
    return (
        f"- **{name}**: {', '.join(_figure(s) for s in done)} rps; median {fmt(median)}, "
        f"range {fmt(min(caps))}-{fmt(max(caps))} ({spread})"
    )


def _ratio_line(base: list[ExperimentResult], shipped: list[ExperimentResult]) -> list[str]:
    ratios = []
    for b, s in zip(base, shipped, strict=False):
        b_cap, s_cap = b.get("capacity_rps"), s.get("capacity_rps")
        if b_cap and s_cap:
            ratios.append(s_cap / b_cap)
    if not ratios:
        return []
    each = ", ".join(f"{r:.2f}x" for r in ratios)
    return [f"- their ratio, sweep by sweep: {each}; median {statistics.median(ratios):.2f}x"]


def spread_lines(run: Run) -> list[str]:
    """Each repeated rung's capacities, their median and range, and the pair's ratio."""
    names = [n for n in (run.named("baseline"), run.named("shipped")) if n]
    repeated = {n: sweeps(run, n) for n in names if len(sweeps(run, n)) > 1}
    if not repeated:
        return []
    lines = [_rung_line(name, done) for name, done in repeated.items()]
    if len(repeated) == 2:
        lines += _ratio_line(*repeated.values())
    count = max(len(done) for done in repeated.values())
    return [
        f"The headline pair swept {count} times: first among each rung's experiments, then "
        "again after every rung, each time on a fresh server, the two interleaved. A "
        "capacity marked >= is a lower bound (the generator fell behind first):",
        "",
        *lines,
        "",
    ]
