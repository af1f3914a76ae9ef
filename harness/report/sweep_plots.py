"""The open-loop plots: latency and goodput against offered load, percentiles, the model."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt

from harness.report import capacity
from harness.report.plots import Plot, color, save
from harness.summary import Summary

# HdrHistogram-style x axis: 1 / (1 - percentile), labelled by percentile
PERCENTILE_TICKS = (50.0, 90.0, 99.0, 99.9)


def latency_vs_load(summary: Summary, path: Path) -> None:
    """p50 and p99 from the scheduled send against offered rate, every swept rung, the SLO."""
    fig, ax = plt.subplots(figsize=(9, 5))
    for name, steps in capacity.swept(summary).items():
        rates = [s["open_loop"]["offered_rps"] for s in steps]
        c = color(summary, name)
        ax.plot(
            rates, [s["open_loop"]["p50_ms"] for s in steps], "o-", color=c, label=f"{name} p50"
        )
        ax.plot(
            rates, [s["open_loop"]["p99_ms"] for s in steps], "^--", color=c, label=f"{name} p99"
        )
    ax.axhline(capacity.slo_ms(summary), color="black", linestyle=":", label="SLO (p99)")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="offered rate (requests/s, Poisson)",
        ylabel="latency from the scheduled send (ms)",
        title="latency against offered load",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    save(fig, path)


def goodput(summary: Summary, path: Path) -> None:
    """Answers that were right and within the SLO, per second, against offered rate."""
    fig, ax = plt.subplots(figsize=(9, 5))
    top = 1.0
    for name, steps in capacity.swept(summary).items():
        rates = [s["open_loop"]["offered_rps"] for s in steps]
        top = max(top, *rates)
        ax.plot(
            rates,
            [s["open_loop"]["goodput_rps"] for s in steps],
            "o-",
            color=color(summary, name),
            label=name,
        )
    ax.plot([1, top], [1, top], color="grey", linestyle=":", label="every request in time")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="offered rate (requests/s, Poisson)",
        ylabel=f"goodput: 200s within {capacity.slo_ms(summary):.0f} ms (per s)",
        title="goodput against offered load",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    save(fig, path)


def percentiles(summary: Summary, path: Path) -> None:
    """Latency by percentile at one rate every swept rung carried, HdrHistogram style."""
    rate = capacity.common_rate(summary)
    fig, ax = plt.subplots(figsize=(9, 5))
    for name, steps in capacity.swept(summary).items():
        step = next(s for s in steps if s["open_loop"]["offered_rps"] == rate)
        quantiles = {float(q): ms for q, ms in step["open_loop"]["quantiles_ms"].items()}
        points = [(1 / (1 - q / 100), ms) for q, ms in sorted(quantiles.items()) if q < 100]
        label = f"{name} ({step['requests']} answers)"
        ax.plot(
            [x for x, _ in points],
            [y for _, y in points],
            "o-",
            color=color(summary, name),
            label=label,
        )
    ax.set_xscale("log")
    ax.set_xticks([1 / (1 - q / 100) for q in PERCENTILE_TICKS])
    ax.set_xticklabels([f"{q:g}%" for q in PERCENTILE_TICKS])
    ax.set(
        xlabel="percentile",
        ylabel="latency from the scheduled send (ms)",
        title=f"latency by percentile at {rate:.1f} requests/s",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    save(fig, path)


def prediction(summary: Summary, path: Path) -> None:
    """Measured mean latency and the queueing model's, against offered rate."""
    fig, ax = plt.subplots(figsize=(9, 5))
    for name in capacity.swept(summary):
        model, found = capacity.model_of(summary, name), capacity.predictions(summary, name)
        if model is None or not found:
            continue
        c = color(summary, name)
        ax.plot(
            [p.offered_rps for p in found],
            [p.measured_ms for p in found],
            "o",
            color=c,
            label=f"{name} measured",
        )
        top = min(model.capacity_rps, 2 * max(p.offered_rps for p in found))
        rates = [top * i / 40 for i in range(1, 40)]
        curve = [model.mean_latency_ms(r) for r in rates]
        ax.plot(
            rates,
            [v if math.isfinite(v) else math.nan for v in curve],
            "-",
            color=c,
            label=f"{name} model",
        )
    ax.set(
        xlabel="offered rate (requests/s, Poisson)",
        ylabel="mean latency (ms)",
        title="queueing model against measurement",
        yscale="log",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    save(fig, path)


SWEEP_PLOTS = (
    Plot("latency_vs_load.png", lambda s: bool(capacity.swept(s)), latency_vs_load),
    Plot("goodput.png", lambda s: bool(capacity.swept(s)), goodput),
    Plot("percentiles.png", lambda s: capacity.common_rate(s) is not None, percentiles),
    Plot(
        "prediction.png",
        lambda s: any(capacity.predictions(s, n) for n in capacity.swept(s)),
        prediction,
    ),
)
