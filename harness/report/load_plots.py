"""Where the time and the resources go: CPU against load, the breakdown at one rate, the
latency spectra at three rates, and each configuration's memory."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt

from harness.report import capacity
from harness.report.explain import breakdown, ladder_steps
from harness.report.plots import MS_TICKS, Plot, color, hbars, plain_log, save
from harness.report.run import Run
from loadgen.steplog import Step
from scoring.timing import PARTS

PERCENTILE_TICKS = (50.0, 90.0, 99.0, 99.9)


def cpu_vs_load(run: Run, path: Path) -> None:
    """Server CPU-ms per request against offered rate, every swept rung."""
    fig, ax = plt.subplots(figsize=(9, 5))
    for name, steps in run.swept.items():
        valid = [s for s in steps if s["open_loop"]["valid"]]
        ax.plot(
            [s["open_loop"]["offered_rps"] for s in valid],
            [s["server_cpu_ms_per_request"] for s in valid],
            "o-",
            color=color(run, name),
            label=name,
        )
    plain_log(ax, "x")
    ax.set_ylim(bottom=0)
    ax.set(
        xlabel="offered rate (requests/s, Poisson arrivals)",
        ylabel="server CPU per request (CPU-ms)",
        title="What a request costs the server's CPU, against load (batching amortises it)",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    save(fig, path)


def breakdown_at_rate(run: Run, path: Path) -> None:
    """One stacked bar per swept rung: where a request's time goes at one common rate."""
    rate = capacity.common_rate(run)
    at = {
        name: next(s for s in steps if s["open_loop"]["offered_rps"] == rate)
        for name, steps in run.swept.items()
    }
    names = list(at)
    fig, ax = plt.subplots(figsize=(11, 0.5 * len(names) + 1.8))
    left = [0.0] * len(names)
    for part in [*PARTS, "outside handler"]:
        values = [breakdown(at[n])[part] for n in names]
        ax.barh(names, values, left=left, label=part)
        left = [a + b for a, b in zip(left, values, strict=True)]
    for y, total in enumerate(left):
        ax.text(total, y, f" {total:.0f} ms", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max(left, default=1) * 1.2)
    ax.set(
        xlabel="mean ms per request (from the Server-Timing header; the rest outside the handler)",
        title=f"Where a request's time goes at {rate:g} requests/s, offered to every rung",
    )
    ax.legend(fontsize=7, ncol=3, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    save(fig, path)


def _spectrum_rates(steps: list[Step], cap: float | None) -> list[Step]:
    """A low, a middle and a near-capacity point of a rung's sweep."""
    valid = [s for s in steps if s["open_loop"]["valid"]]
    if not valid:
        return []
    top = next((s for s in valid if s["open_loop"]["offered_rps"] == cap), valid[-1])
    low, high = valid[0]["open_loop"]["offered_rps"], top["open_loop"]["offered_rps"]
    middle = math.sqrt(low * high)
    mid = min(valid, key=lambda s: abs(math.log(s["open_loop"]["offered_rps"] / middle)))
    return [valid[0], mid, top]


def spectra(run: Run, path: Path) -> None:
    """Latency by percentile at a low, a middle and a near-capacity rate, HdrHistogram style."""
    fig, axes = plt.subplots(1, 3, figsize=(16, 5), sharey=True)
    titles = ("the lowest rate", "a middle rate", "capacity (the highest rate within the SLO)")
    for name, steps in run.swept.items():
        chosen = _spectrum_rates(steps, capacity.capacity(run, name))
        for ax, step in zip(axes, chosen, strict=False):
            quantiles = {float(q): ms for q, ms in step["open_loop"]["quantiles_ms"].items()}
            # a percentile needs 1 / (1 - q) samples to be more than the maximum
            shown = [(q, ms) for q, ms in sorted(quantiles.items()) if q < 100]
            shown = [(q, ms) for q, ms in shown if step["requests"] * (1 - q / 100) >= 1]
            rate = step["open_loop"]["offered_rps"]
            ax.plot(
                [1 / (1 - q / 100) for q, _ in shown],
                [ms for _, ms in shown],
                "o-",
                color=color(run, name),
                label=f"{name}: {rate:g}/s, {step['requests']} answers",
            )
    for ax, title in zip(axes, titles, strict=True):
        ax.set_xscale("log")
        ax.set_xticks([1 / (1 - q / 100) for q in PERCENTILE_TICKS])
        ax.set_xticklabels([f"{q:g}%" for q in PERCENTILE_TICKS])
        plain_log(ax, "y", MS_TICKS)
        ax.axhline(run.slo_ms, color="black", linestyle=":")
        ax.set(xlabel="percentile (shown only where the answers suffice)", title=title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    axes[0].set_ylabel("latency from the scheduled send (ms)")
    fig.suptitle("Latency spectra of each swept rung at three of its rates (dotted: the SLO)")
    save(fig, path)


def _tree_mb(step: Step) -> float:
    """The server's processes' resident memory at the step's last window, in MiB."""
    return sum(values[-1] for values in step.get("rss_mb_by_process", {}).values() if values)


def memory(run: Run, path: Path) -> None:
    """Resident memory of each rung's server processes at the ladder's load."""
    steps = {n: s for n, s in ladder_steps(run).items() if _tree_mb(s)}
    names = list(steps)
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(names) + 1.6))
    hbars(ax, names, [_tree_mb(steps[n]) for n in names], [color(run, n) for n in names], "MiB")
    ax.invert_yaxis()  # the ladder's order, top to bottom
    ax.set_title(f"Server memory at {run.users} users (resident MiB, all processes)")
    save(fig, path)


LOAD_PLOTS = (
    Plot("cpu_vs_load.png", lambda r: bool(r.swept), cpu_vs_load),
    Plot("breakdown_at_rate.png", lambda r: capacity.common_rate(r) is not None, breakdown_at_rate),
    Plot("spectra.png", lambda r: bool(r.swept), spectra),
    Plot("memory.png", lambda r: any(_tree_mb(s) for s in ladder_steps(r).values()), memory),
)
