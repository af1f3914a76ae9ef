"""The open-loop plots: latency and goodput against offered load, percentiles, the model."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from harness.report import capacity
from harness.report.plots import MS_TICKS, Plot, color, plain_log, save
from harness.report.run import Run
from loadgen.steplog import OpenLoop


def _plain_log_axes(ax: Axes, rates: list[float]) -> None:
    """Log scales labelled with plain numbers: the swept rates on x, round ms on y."""
    plain_log(ax, "x", sorted(set(rates)))
    plain_log(ax, "y", MS_TICKS)
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)


def _draw(
    ax: Axes,
    valid: list[OpenLoop],
    invalid: list[OpenLoop],
    key: Literal["p50_ms", "p99_ms"],
    c: str,
    label: str | None,
) -> None:
    """Valid points joined, invalid ones hollow and apart."""
    ax.plot([o["offered_rps"] for o in valid], [o[key] for o in valid], "o-", color=c, label=label)
    ax.plot(
        [o["offered_rps"] for o in invalid], [o[key] for o in invalid], "o", mfc="none", color=c
    )


def latency_vs_load(run: Run, path: Path) -> None:
    """p50 and p99 from the scheduled send against offered rate, every swept rung, the SLO.

    Valid points are joined; points where the generator fell behind are hollow and
    not joined; each rung's capacity under the SLO is a star on the p99 panel.
    """
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    slo, everything = run.slo_ms, []
    for name, steps in run.swept.items():
        c, cap = color(run, name), capacity.capacity(run, name)
        valid = [s["open_loop"] for s in steps if s["open_loop"]["valid"]]
        invalid = [s["open_loop"] for s in steps if not s["open_loop"]["valid"]]
        _draw(axes[0], valid, invalid, "p50_ms", c, name)
        _draw(axes[1], valid, invalid, "p99_ms", c, None)
        at_cap = [o for o in valid if o["offered_rps"] == cap]
        if at_cap:
            axes[1].plot(cap, at_cap[0]["p99_ms"], "*", color=c, markersize=14)
        everything += [o["offered_rps"] for o in valid + invalid]
    for ax, key in zip(axes, ("p50", "p99"), strict=True):
        _plain_log_axes(ax, everything)
        ax.axhline(slo, color="black", linestyle=":")
        ax.text(min(everything), slo * 1.04, f"SLO: p99 <= {slo:.0f} ms", fontsize=8)
        ax.set(xlabel="offered rate (requests/s, Poisson arrivals)", title=key)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("latency from the scheduled send (ms)")
    axes[0].legend(fontsize=7)
    fig.suptitle("Latency against offered load (hollow: the generator fell behind; star: capacity)")
    save(fig, path)


def goodput(run: Run, path: Path) -> None:
    """Answers that were right and within the SLO, per second, against offered rate."""
    fig, ax = plt.subplots(figsize=(9, 5))
    rates = sorted({s["open_loop"]["offered_rps"] for st in run.swept.values() for s in st})
    for name, steps in run.swept.items():
        c = color(run, name)
        for valid, style in ((True, "o-"), (False, "o")):  # invalid: hollow, not joined
            chosen = [s["open_loop"] for s in steps if s["open_loop"]["valid"] == valid]
            ax.plot(
                [o["offered_rps"] for o in chosen],
                [o["goodput_rps"] for o in chosen],
                style,
                color=c,
                mfc=c if valid else "none",
                label=name if valid else None,
            )
    if rates:
        ax.plot(
            [rates[0], rates[-1]],
            [rates[0], rates[-1]],
            ":",
            color="grey",
            label="every request in time",
        )
    plain_log(ax, "x", rates)
    plain_log(ax, "y", rates)
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.set(
        xlabel="offered rate (requests/s, Poisson arrivals)",
        ylabel=f"goodput: 200s within {run.slo_ms:.0f} ms (per s)",
        title="Goodput against offered load (hollow: the generator fell behind)",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    save(fig, path)


def prediction(run: Run, path: Path) -> None:
    """Measured mean latency and the queueing model's, against offered rate."""
    fig, ax = plt.subplots(figsize=(9, 5))
    for name in run.swept:
        model, found = capacity.model_of(run, name), capacity.predictions(run, name)
        if model is None or not found:
            continue
        c = color(run, name)
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
        xlabel="offered rate (requests/s, Poisson arrivals)",
        ylabel="mean latency from the scheduled send (ms)",
        title="Mean latency against offered rate: measured (dots), the queueing model (lines)",
    )
    low, high = ax.get_ylim()  # the data's range: ticks outside it would stretch the axis
    ticks = (50, 60, 80, 100, 150, 200, 300, 500, 1000)
    plain_log(ax, "y", [t for t in ticks if low <= t <= high] or None)
    ax.set_ylim(low, high)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    save(fig, path)


SWEEP_PLOTS = (
    Plot("latency_vs_load.png", lambda s: bool(s.swept), latency_vs_load),
    Plot("goodput.png", lambda s: bool(s.swept), goodput),
    Plot(
        "prediction.png",
        lambda s: any(capacity.predictions(s, n) for n in s.swept),
        prediction,
    ),
)
