"""Latency where real-time callers live: a few closed-loop callers; open loop against the edge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from harness.report import capacity
from harness.report.run import Run
from harness.report.text import fmt, table
from loadgen.steplog import Step

# what a check measured, in words, and whether it met its threshold
Measurement = tuple[str, bool | None]
FEW_CALLERS_CHECKED = (2, 4, 8)
# the open-loop rates at which regather's cost under Poisson arrivals is held to a bound
REGATHER_RATES = (25.0, 50.0)
SAME_RATE = 0.02  # sweep points within 2% of each other count as one offered rate


def few_steps(run: Run, name: str) -> dict[int, Step]:
    """A rung's few-callers steps, by closed-loop users."""
    experiment = run.experiment(name, "few")
    return {s["users"]: s for s in experiment["steps"]} if experiment else {}


def few_rows(run: Run) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the few-callers panel: p50 / p99 ms and mean batch per users."""
    levels = sorted({u for n in run.rungs for u in few_steps(run, n)})
    rows = []
    for name in run.rungs:
        steps = few_steps(run, name)
        if steps:
            cells = [_few_cell(steps[u]) if u in steps else "-" for u in levels]
            rows.append([f"**{name}**", *cells])
    return ["rung", *(f"{u} user{'s' * (u > 1)}: p50 / p99 ms" for u in levels)], rows


def _few_cell(s: Step) -> str:
    return f"{fmt(s['p50_ms'])} / {fmt(s['p99_ms'])} (batch {fmt(s.get('mean_batch_size'), 1)})"


def few_section(run: Run) -> list[str]:
    """The report's few-callers section."""
    header, rows = few_rows(run)
    if not rows:
        return []
    return [
        "## A few callers, closed loop",
        "",
        "Real-time services often see a handful of callers that each wait for an answer "
        "before sending the next request, with no think time. A batcher that forms the next "
        "batch as soon as the model is free makes two such callers take turns (each waits "
        "behind the other's batch: about two model times); regather lets the callers of a "
        "completed batch come back into the next one. p50 / p99 ms and the mean batch size:",
        "",
        *table(header, rows),
    ]


def few_callers_p50(role: str) -> Callable[[Run, float], Measurement | None]:
    """A check: the rung's p50 at 2, 4 and 8 closed-loop users is within the threshold."""

    def measure(run: Run, threshold: float) -> Measurement | None:
        name = run.named(role)
        steps = few_steps(run, name) if name else {}
        found = [steps[u] for u in FEW_CALLERS_CHECKED if u in steps]
        if not found:
            return None
        text = ", ".join(f"{s['p50_ms']:.0f} ms at {s['users']}" for s in found)
        return text, all(s["p50_ms"] <= threshold for s in found)

    return measure


def _valid_points(run: Run, name: str) -> dict[float, Step]:
    points = run.swept.get(name, [])
    return {s["open_loop"]["offered_rps"]: s for s in points if s["open_loop"]["valid"]}


def _pairs(run: Run, role: str, other: str) -> list[tuple[float, Step, Step]]:
    """Valid points of two rungs at the same offered rate: (rate, rung's, other's)."""
    name, other_name = run.named(role), run.named(other)
    if not (name and other_name):
        return []
    mine, theirs = _valid_points(run, name), _valid_points(run, other_name)
    pairs = []
    for rate, point in sorted(mine.items()):
        match = next((p for r, p in theirs.items() if abs(r / rate - 1) <= SAME_RATE), None)
        if match is not None:
            pairs.append((rate, point, match))
    return pairs


def shipped_over_edge(
    quantile: Literal["p50_ms", "p99_ms"],
) -> Callable[[Run, float], Measurement | None]:
    """A check: shipped / edge latency at a quantile, at each shared rate up to edge capacity."""

    def measure(run: Run, threshold: float) -> Measurement | None:
        edge = run.named("edge")
        edge_cap = capacity.capacity(run, edge) if edge else None
        pairs = [p for p in _pairs(run, "shipped", "edge") if edge_cap and p[0] <= edge_cap]
        if not pairs:
            return None
        ratios = [
            (rate, a["open_loop"][quantile] / max(b["open_loop"][quantile], 1e-9))
            for rate, a, b in pairs
        ]
        worst_rate, worst = max(ratios, key=lambda item: item[1])
        text = ", ".join(f"{r:g}: {x:.2f}x" for r, x in ratios)
        return f"worst {worst:.2f}x at {worst_rate:g} rps ({text})", worst <= threshold

    return measure


def regather_cost(run: Run, threshold: float) -> Measurement | None:
    """The shipped p50 minus the same design's without regather, at the low open-loop rates."""
    pairs = [
        (rate, a["open_loop"]["p50_ms"] - b["open_loop"]["p50_ms"])
        for rate, a, b in _pairs(run, "shipped", "regather-off")
        if any(abs(rate / r - 1) <= SAME_RATE for r in REGATHER_RATES)
    ]
    if not pairs:
        return None
    text = ", ".join(f"{delta:+.1f} ms at {rate:g} rps" for rate, delta in pairs)
    return text, all(delta <= threshold for _, delta in pairs)
