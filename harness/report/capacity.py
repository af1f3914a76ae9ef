"""Capacity under the latency SLO: open-loop sweeps, and the queueing model held against them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from harness.report import queueing
from harness.report.run import Run
from harness.report.text import fmt
from loadgen.steplog import Step

PREDICTION_TOLERANCE = 0.20
PREDICTED_UP_TO = 0.8  # of the measured capacity


def capacity(run: Run, name: str) -> float | None:
    """The highest offered rate at which the rung met the SLO, or None."""
    sweep = run.experiment(name, "sweep")
    return sweep.get("capacity_rps") if sweep else None


def generator_limit(run: Run, name: str) -> float | None:
    """The rate at which the generator fell behind twice, ending the sweep: capacity is at least."""
    sweep = run.experiment(name, "sweep")
    return sweep.get("generator_limit_rps") if sweep else None


def capacity_text(run: Run, name: str) -> str:
    cap, limit = capacity(run, name), generator_limit(run, name)
    if limit is None:
        return fmt(cap)
    return f">= {fmt(cap)} (the generator fell behind at {limit:.0f})"


@dataclass(frozen=True)
class Prediction:
    offered_rps: float
    measured_ms: float
    predicted_ms: float
    measured_wait_ms: float  # batch_wait (batched) or time outside the handler (sync)
    predicted_wait_ms: float

    @property
    def gap(self) -> float:
        return self.predicted_ms / self.measured_ms - 1 if self.measured_ms else math.nan


def model_of(run: Run, name: str) -> queueing.Model | None:
    rung = run.rungs[name]
    if rung["kind"] != "sync" and not rung.get("batching"):
        return None
    steps = run.swept.get(name, [])
    item_s = run.summary["settings"].get("model_item_cost_ms", 0.0) / 1000
    return queueing.fit(rung["kind"], rung["workers"], steps, run.cores, item_s)


def predictions(run: Run, name: str) -> list[Prediction]:
    """Predicted against measured mean latency at each valid point up to PREDICTED_UP_TO."""
    model, cap = model_of(run, name), capacity(run, name)
    if model is None or not cap:
        return []
    found = []
    for s in run.swept[name]:
        loop = s["open_loop"]
        if not loop["valid"] or loop["offered_rps"] > PREDICTED_UP_TO * cap:
            continue
        timing = s.get("server_timing_ms", {})
        if isinstance(model, queueing.WorkerPool):
            measured_wait = loop["mean_ms"] - timing.get("total", 0.0)
        else:
            measured_wait = timing.get("batch_wait", 0.0)
        rate = loop["offered_rps"]
        found.append(
            Prediction(
                rate,
                loop["mean_ms"],
                model.mean_latency_ms(rate),
                measured_wait,
                model.wait_ms(rate),
            )
        )
    return found


def worst_gap(run: Run, roles: tuple[str, ...]) -> tuple[str, Prediction] | None:
    """The prediction furthest from its measurement among the rungs with these roles."""
    gaps = [
        (n, p)
        for role in roles
        if (n := run.named(role))
        for p in predictions(run, n)
        if not math.isnan(p.gap)
    ]
    return max(gaps, key=lambda item: abs(item[1].gap), default=None)


def common_rate(run: Run) -> float | None:
    """The highest offered rate that every swept rung measured and met the SLO at."""
    met = [
        {s["open_loop"]["offered_rps"] for s in steps if s["open_loop"]["meets_slo"]}
        for steps in run.swept.values()
    ]
    shared = set.intersection(*met) if met else set()
    return max(shared, default=None)


def _at(steps: list[Step], rate: float | None) -> Step | None:
    return next((s for s in steps if s["open_loop"]["offered_rps"] == rate), None)


def headline_rows(run: Run) -> list[list[str]]:
    """Rung, capacity, ratio to the baseline, latency at capacity, closed-loop rps, the queueing
    model's saturation rps, points."""
    base = run.named("baseline")
    base_cap = capacity(run, base) if base else None
    rows = []
    for name, steps in run.swept.items():
        cap = capacity(run, name)
        at = _at(steps, cap)
        ladder = run.step(name, "ladder")
        closed = ladder["rps"] if ladder else None
        valid = sum(s["open_loop"]["valid"] for s in steps)
        at_least = ">= " if generator_limit(run, name) else ""
        rows.append(
            [
                f"**{name}**",
                capacity_text(run, name),
                f"{at_least}{cap / base_cap:.2f}x" if cap and base_cap else "-",
                f"{fmt(at['open_loop']['p50_ms'])} / {fmt(at['open_loop']['p99_ms'])}"
                if at
                else "-",
                fmt(closed),
                fmt(saturation(run, name)),
                f"{valid} of {len(steps)}",
            ]
        )
    return rows


def saturation(run: Run, name: str) -> float | None:
    """The throughput at which the queueing model fitted to the rung's sweep saturates."""
    model = model_of(run, name)
    return model.capacity_rps if model is not None and math.isfinite(model.capacity_rps) else None


def prediction_rows(run: Run, name: str) -> list[list[str]]:
    return [
        [
            fmt(p.offered_rps, 1),
            fmt(p.measured_ms),
            fmt(p.predicted_ms),
            f"{p.gap:+.0%}" + (" (!)" if abs(p.gap) > PREDICTION_TOLERANCE else ""),
            fmt(p.measured_wait_ms),
            fmt(p.predicted_wait_ms),
        ]
        for p in predictions(run, name)
    ]


def explain_gaps(run: Run, name: str) -> list[str]:
    """Name the term of the model that a flagged gap comes from, from the measurement."""
    flagged = [p for p in predictions(run, name) if abs(p.gap) > PREDICTION_TOLERANCE]
    if not flagged:
        return []
    worst = max(flagged, key=lambda p: abs(p.gap))
    rest = worst.measured_ms - worst.measured_wait_ms
    predicted_rest = worst.predicted_ms - worst.predicted_wait_ms
    wait_gap = worst.measured_wait_ms - worst.predicted_wait_ms
    term = "the wait" if abs(wait_gap) >= abs(rest - predicted_rest) else "the service time"
    return [
        f"- **{name}**: at {worst.offered_rps:.0f} rps the model is {worst.gap:+.0%} off; "
        f"{term} accounts for most of it (measured wait {worst.measured_wait_ms:.0f} ms against "
        f"the model's {worst.predicted_wait_ms:.0f} ms; the rest {rest:.0f} ms against "
        f"{predicted_rest:.0f} ms)."
    ]
