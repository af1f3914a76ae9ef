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
    cap = rung["capacity_rps"]
    text = "none" if cap is None else f"{cap:.0f}"
    return f">= {text}" if rung["generator_limit_rps"] is not None else text


def _crossing(curve: dict[str, Any], key: str, what: str) -> str:
    found = curve[key]
    if found is None:
        return f"The shipped service's {what} stays above the baseline's at every cost measured."
    low, high = found
    return (
        f"The shipped service's {what} falls to the baseline's between {low:g} and {high:g} ms "
        "per item: past that, batching on one model copy no longer pays against the "
        "baseline's copy per worker."
    )


def table(curve: dict[str, Any]) -> list[str]:
    lines = [
        "| per item ms | gain ceiling | rung | rps (closed loop) | p99 ms | capacity rps | run |",
        "|---:|---:|---|---:|---:|---:|---|",
    ]
    for p in curve["points"]:
        per, base = p["per_item_ms"], p["base_ms"]
        ceiling = f"{(base + per) / per:.1f}x" if per else "none"
        for role, rung in p["rungs"].items():
            lines.append(
                f"| {per:g} | {ceiling} | {LABELS[role]} (`{rung['rung']}`) | {rung['rps']:.0f} | "
                f"{rung['p99_ms']:.0f} | {_cap(rung)} | [{p['run']}]({p['run']}/report.md) |"
            )
    return lines


def plot(curve: dict[str, Any], path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, key, title in (
        (axes[0], "rps", "closed-loop throughput"),
        (axes[1], "capacity_rps", "capacity under the p99 SLO"),
    ):
        for role, label in LABELS.items():
            xs = [p["per_item_ms"] for p in curve["points"] if role in p["rungs"]]
            ys = [p["rungs"][role][key] or 0 for p in curve["points"] if role in p["rungs"]]
            ax.plot(xs, ys, STYLES[role], label=label)
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlabel("model cost per item of a batch, ms (base 45 ms a call)")
        ax.set_ylabel("requests/s")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
    axes[0].legend()
    fig.suptitle("What batching gains as a batch costs more per item")
    fig.tight_layout()
    save(fig, path)


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
        _crossing(curve, "crossover_rps", "closed-loop throughput"),
        _crossing(curve, "crossover_capacity", "capacity"),
        "",
        *table(curve),
        "",
        "The named profiles of `--model-cost` (harness/model_cost.py):",
        "",
        *(
            f"- `{name}`: {p['per_item_ms']:.2f} ms per item; {p['source']}"
            for name, p in curve["profiles"].items()
        ),
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n")
