"""The report's plots, one function each, drawn from a run's summary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.ticker import NullFormatter, ScalarFormatter

from harness.report.explain import breakdown, ladder_steps
from harness.report.run import Run
from harness.report.targets import soaks
from loadgen.steplog import Step
from scoring.timing import PARTS

DPI = 90
MS_TICKS = (50, 100, 200, 500, 1000)  # latency axes on a log scale, in ms
QUANTILES: tuple[tuple[Literal["p50_ms", "p95_ms", "p99_ms"], str], ...] = (
    ("p50_ms", "o-"),
    ("p95_ms", "s--"),
    ("p99_ms", "^:"),
)


def plain_log(ax: Axes, which: Literal["x", "y"], ticks: Sequence[float] | None = None) -> None:
    """A log scale labelled with plain numbers (at ticks, when given), minor ticks unlabelled."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    if ticks is not None:
        axis.set_ticks(list(ticks))
    axis.set_major_formatter(ScalarFormatter())
    axis.set_minor_formatter(NullFormatter())


def color(run: Run, name: str) -> str:
    return str(run.rungs[name].get("color") or "grey")


def _ramps(run: Run) -> dict[str, list[Step]]:
    return {
        n: r["experiments"]["ramp"]["steps"]
        for n, r in run.rungs.items()
        if "ramp" in r["experiments"]
    }


def save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def ramp(run: Run, path: Path) -> None:
    """Throughput, latency and (when there were any) errors against users, every ramped rung."""
    ramps = _ramps(run)
    errors = any(s["error_rate"] for steps in ramps.values() for s in steps)
    fig, axes = plt.subplots(1, 3 if errors else 2, figsize=(15 if errors else 11, 4.2))
    titles = ["throughput (requests/s)", "latency (ms, log scale)", "errors (% of requests)"]
    for name, steps in ramps.items():
        users, shade = [s["users"] for s in steps], color(run, name)
        axes[0].plot(users, [s["rps"] for s in steps], "o-", color=shade, label=name)
        for q, style in QUANTILES:
            axes[1].plot(users, [s[q] for s in steps], style, color=shade, label=f"{name} {q[:-3]}")
        if errors:
            axes[2].plot(users, [100 * s["error_rate"] for s in steps], "o-", color=shade)
    for ax, title in zip(axes, titles, strict=False):
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.set_xlabel("concurrent users (closed loop)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=6)
    axes[1].set_yscale("log")
    if errors:
        axes[2].set_ylim(bottom=0)
    fig.suptitle("The closed-loop ramp: each rung from 2 users to its breaking point")
    save(fig, path)


def breakdown_bars(run: Run, path: Path) -> None:
    """Where a request's time goes, per ramp step, per ramped rung."""
    ramps = _ramps(run)
    fig, axes = plt.subplots(1, len(ramps), figsize=(7 * len(ramps), 4.2), squeeze=False)
    for ax, (name, steps) in zip(axes[0], ramps.items(), strict=True):
        labels = [str(s["users"]) for s in steps]
        bottom = [0.0] * len(steps)
        for part in [*PARTS, "outside handler"]:
            values = [breakdown(s)[part] for s in steps]
            ax.bar(labels, values, bottom=bottom, label=part)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_title(f"{name}: where a request's time goes (mean ms)")
        ax.set_xlabel("concurrent users")
        ax.legend(fontsize=7)
    save(fig, path)


def _batched(run: Run) -> dict[str, list[Step]]:
    return {n: s for n, s in _ramps(run).items() if any(x.get("mean_batch_size") for x in s)}


def batch_size(run: Run, path: Path) -> None:
    """Mean batch size against users, for the ramped rungs that batch."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, steps in _batched(run).items():
        ax.plot(
            [s["users"] for s in steps],
            [s.get("mean_batch_size") or 0 for s in steps],
            "o-",
            color=color(run, name),
            label=name,
        )
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.set_xlabel("concurrent users (closed loop)")
    ax.set_ylabel("mean requests per batch")
    ax.set_title("Batch size against load, the batching rungs")
    ax.grid(alpha=0.3)
    ax.legend()
    save(fig, path)


def hbars(ax: Axes, names: list[str], values: list[float], colors: list[str], unit: str) -> None:
    """One labelled horizontal bar per rung, its value at its end."""
    ax.barh(names, values, color=colors)
    for y, value in enumerate(values):
        ax.text(
            value,
            y,
            f" {value:.0f} {unit}" if value >= 10 else f" {value:.2f} {unit}",
            va="center",
            fontsize=8,
        )
    ax.set_xlim(0, max(values, default=1) * 1.25)
    ax.grid(axis="x", alpha=0.3)


def ladder(run: Run, path: Path) -> None:
    """Throughput and server CPU-ms per request of every rung at the ladder's users."""
    steps = ladder_steps(run)
    names = list(steps)
    colors = [color(run, n) for n in names]
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.45 * len(names) + 1.6), sharey=True)
    hbars(axes[0], names, [steps[n]["rps"] for n in names], colors, "rps")
    axes[0].set_title(f"throughput at {run.users} closed-loop users (requests/s)")
    cpu = [steps[n]["server_cpu_ms_per_request"] for n in names]
    hbars(axes[1], names, cpu, colors, "ms")
    axes[1].set_title("server CPU per request (CPU-ms)")
    axes[0].invert_yaxis()  # the ladder's order, top to bottom (the axes share y)
    shipped = run.named("shipped")
    for label in axes[0].get_yticklabels():
        if label.get_text() == shipped:
            label.set_fontweight("bold")  # the shipped service, findable at a glance
    save(fig, path)


def soak(run: Run, path: Path) -> None:
    """Resident memory of every server process over each soak."""
    runs = soaks(run)
    fig, axes = plt.subplots(1, len(runs), figsize=(7 * len(runs), 4.2), squeeze=False)
    window_s = run.summary.get("profile", {}).get("window_s")
    for ax, (name, s) in zip(axes[0], runs.items(), strict=True):
        for label, values in s.get("rss_mb_by_process", {}).items():
            x = [i * window_s / 60 if window_s else i for i in range(len(values))]
            ax.plot(x, values, label=label)
        ax.set_title(f"{name}: soak at {s['users']} users")
        ax.set_xlabel("minutes after warm-up" if window_s else "measurement window")
        ax.set_ylabel("resident memory (MiB)")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    save(fig, path)


@dataclass(frozen=True)
class Plot:
    """A plot file, whether a run has what it shows, and how to draw it."""

    file: str
    shown: Callable[[Run], bool]
    draw: Callable[[Run, Path], None]


PLOTS = (
    Plot("ramp.png", lambda s: bool(_ramps(s)), ramp),
    Plot("breakdown.png", lambda s: bool(_ramps(s)), breakdown_bars),
    Plot("batch_size.png", lambda s: bool(_batched(s)), batch_size),
    Plot("ladder.png", lambda s: bool(ladder_steps(s)), ladder),
    Plot("soak.png", lambda s: bool(soaks(s)), soak),
)
