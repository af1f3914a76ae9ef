"""The cost curve's report: a table and a plot of each rung against the per-item cost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from harness.report.plots import save

LABELS = {"baseline": "Flask baseline", "shipped": "shipped BentoML", "edge": "BentoML edge"}
STYLES = {"baseline": "s--", "shipped": "o-", "edge": "^:"}


def _cap(rung: dict[str, Any]) -> str:
    cap, estimate = rung["capacity_rps"], rung.get("estimate_rps")
    if cap is None:
        met = f"; p99 met at {estimate:.0f} rps on too few answers" if estimate else ""
        return f"none decided{met}"
    return f">= {cap:.0f}" if rung["generator_limit_rps"] is not None else f"{cap:.0f}"


def decided(points: list[dict[str, Any]], measure: str) -> list[dict[str, Any]]:
    """The points, by per-item cost, where both the shipped rung and the baseline have the
    measure (a capacity that no sweep point decided has none)."""
    known = [
        p for p in points if p["rungs"]["shipped"][measure] and p["rungs"]["baseline"][measure]
    ]
    return sorted(known, key=lambda p: p["per_item_ms"])


def _crossing(curve: dict[str, Any], key: str, measure: str, what: str) -> str:
    found = curve[key]
    if found is None:
        known = decided(curve["points"], measure)
        costs = ", ".join(f"{p['per_item_ms']:.3g}" for p in known) or "none"
        return (
            f"The shipped service's {what} stays above the baseline's at every cost where "
            f"both were decided (per item ms: {costs})."
        )
    low, high = found
    return (
        f"The shipped service's {what} falls to the baseline's between {low:.3g} and {high:.3g} ms "
        "per item: past that, batching on one model copy no longer pays against the "
        "baseline's copy per worker."
    )


def _predicted(rung: dict[str, Any]) -> str:
    if "predicted_rps" not in rung:  # a curve gathered before the prediction was
        return "-"
    return f"{rung['predicted_rps']:.0f}" if rung["predicted_rps"] is not None else "none"


def _rps(rung: dict[str, Any]) -> str:
    answers = f" ({rung['answers']})" if "answers" in rung else ""
    return f"{rung['rps']:.0f}{answers}"


def table(curve: dict[str, Any]) -> list[str]:
    lines = [
        "| per item ms | gain ceiling | rung | rps, closed loop (answers) | predicted rps "
        "| p99 ms | capacity rps | run |",
        "|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for p in curve["points"]:
        per, base = p["per_item_ms"], p["base_ms"]
        ceiling = f"{(base + per) / per:.1f}x" if per else "none"
        per_text = f"{per:.3g}"
        for role, rung in p["rungs"].items():
            lines.append(
                f"| {per_text} | {ceiling} | {LABELS[role]} (`{rung['rung']}`) | "
                f"{_rps(rung)} | {_predicted(rung)} | {rung['p99_ms']:.0f} | {_cap(rung)} | "
                f"[{p['run']}]({p['run']}/report.md) |"
            )
    return lines


def plot(curve: dict[str, Any], path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, key, title in (
        (axes[0], "rps", "closed-loop throughput (x: the queueing model's)"),
        (axes[1], "capacity_rps", "capacity under the p99 SLO (hollow: not decided)"),
    ):
        for role, label in LABELS.items():
            points = [p for p in curve["points"] if role in p["rungs"]]
            known = [p for p in points if p["rungs"][role][key] is not None]
            xs = [p["per_item_ms"] for p in known]
            line = ax.plot(xs, [p["rungs"][role][key] for p in known], STYLES[role], label=label)
            # where no point was decided: the rate whose p99 met the SLO on too few answers
            guessed = [p for p in points if p["rungs"][role][key] is None]
            guessed = [p for p in guessed if p["rungs"][role].get("estimate_rps")]
            ax.plot(
                [p["per_item_ms"] for p in guessed],
                [p["rungs"][role]["estimate_rps"] for p in guessed],
                STYLES[role][0],
                mfc="none",
                color=line[0].get_color(),
                markersize=9,
            )
            if key == "rps":  # the queueing model's saturation throughput beside it
                predicted = [p for p in points if p["rungs"][role].get("predicted_rps")]
                ax.plot(
                    [p["per_item_ms"] for p in predicted],
                    [p["rungs"][role]["predicted_rps"] for p in predicted],
                    "x",
                    color=line[0].get_color(),
                    markersize=9,
                )
        ax.set_xscale("symlog", linthresh=1)
        costs = [p["per_item_ms"] for p in curve["points"]]
        ax.set_xticks(costs, [f"{c:.3g}" for c in costs])
        ax.set_ylim(bottom=0)
        ax.set_xlabel("model cost per item of a batch, ms (base 45 ms a call)")
        ax.set_ylabel("requests/s")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
    axes[0].legend()
    fig.suptitle("What batching gains as a batch costs more per item")
    fig.tight_layout()
    save(fig, path)


def _prediction_note(curve: dict[str, Any]) -> list[str]:
    rungs = [r for p in curve["points"] for r in p["rungs"].values()]
    if not any("predicted_rps" in r for r in rungs):
        return []
    return [
        "Predicted rps is where the queueing model (harness/report/queueing.py), fitted to "
        "the rung's own sweep at its lowest rate, saturates: the baseline's workers over its "
        "service time, a batched rung's 1 / (server CPU per request + the model's cost per "
        "item); a closed loop of this many users runs saturated, so its throughput is the "
        "figure predicted. The closed loop's figure comes from one measurement window: where "
        "a batch of 128 takes seconds (at 19.6 ms per item, 2.5 s), the window holds a few "
        "batches and its figure moves by one (128 answers).",
        "",
        *_prediction_gaps(curve),
    ]


GAP = 0.2  # a prediction further than this from the measured throughput is named


def _prediction_gaps(curve: dict[str, Any]) -> list[str]:
    off = [
        f"{LABELS[role]} at {p['per_item_ms']:.3g} ms ({r['rps']:.0f} against {predicted:.0f})"
        for p in curve["points"]
        for role, r in p["rungs"].items()
        if (predicted := r.get("predicted_rps")) and abs(r["rps"] / predicted - 1) > GAP
    ]
    if not off:
        return [f"Every prediction is within {GAP:.0%} of the measured throughput.", ""]
    return [
        f"Measured more than {GAP:.0%} from the prediction: {'; '.join(off)}. Below it, where "
        "the model's cost per item is small, the prediction rests on the server CPU per "
        "request fitted at the sweep's low rates, while the closed loop shares the cores with "
        "the generator: read such a prediction as an upper bound. Above it, the window held "
        "few batches.",
        "",
    ]


def render(curve: dict[str, Any], out: Path) -> None:
    """Write report.md and cost_curve.png for a cost curve."""
    plot(curve, out / "cost_curve.png")
    points = curve["points"]
    users = points[0]["users"] if points else 0
    commits = sorted({str(p["commit"])[:7] for p in points})
    lines = [
        "# What batching gains as a batch costs more per item",
        "",
        f"`{curve['command']}` (commit {', '.join(commits)}): one comparison per per-item "
        f"cost, each model call of a batch of n sleeping base + per item x n; closed loop at "
        f"{users} users; capacity is the highest offered rate whose p99 is decided within "
        "the SLO (`>=` where the load generator fell behind first). Each run's own report "
        "has its conditions, sample counts and the queueing model's prediction.",
        "",
        "![cost curve](cost_curve.png)",
        "",
        _crossing(curve, "crossover_rps", "rps", "closed-loop throughput"),
        _crossing(curve, "crossover_capacity", "capacity_rps", "capacity"),
        "",
        *table(curve),
        "",
        *_prediction_note(curve),
        "",
        "The named profiles of `--model-cost` (harness/model_cost.py):",
        "",
        *(
            f"- `{name}`: {p['per_item_ms']:.2f} ms per item; {p['source']}"
            for name, p in curve["profiles"].items()
        ),
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n")
