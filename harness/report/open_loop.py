"""The report's open-loop section: capacity under the SLO, the sweeps, the queueing prediction."""

from __future__ import annotations

from harness.report import calibration, capacity, points, queueing, repeats
from harness.report.run import Run
from harness.report.text import table
from loadgen import quantile
from loadgen.openloop import LATE_P99_SHARE_OF_SLO, MAX_LOADGEN_CORES, MIN_SENT_SHARE
from loadgen.windows import MAX_ERROR_RATE


def capacity_section(run: Run, plots: list[str]) -> list[str]:
    """The report's open-loop section: capacity under the SLO, each sweep, the prediction."""
    if not run.swept:
        return []
    slo, nice = run.slo_ms, run.summary.get("loadgen_nice", 0)
    lines = [
        f"## Capacity under the SLO: p99 <= {slo:.0f} ms, open loop",
        "",
        "Requests leave on a schedule of Poisson arrivals at each offered rate, whatever the "
        "answers do; latency counts from each request's scheduled send, so queueing is not "
        "hidden (no coordinated omission). Capacity is the highest offered rate whose p99 is "
        f"within {slo:.0f} ms with errors (503s included) within {MAX_ERROR_RATE:.0%}: rates "
        "rise geometrically until one misses, then a bisection."
        + _decided(run)
        + " A point is invalid when the "
        f"generator fell behind its schedule (p99 of its launch delay over "
        f"{LATE_P99_SHARE_OF_SLO:.0%} of the SLO, under {MIN_SENT_SHARE:.0%} of the schedule "
        f"sent, or over {MAX_LOADGEN_CORES:g} of a core)"
        + (f"; Locust ran at niceness {nice}." if nice else ".")
        + _despite_delay(run),
        "",
        *table(
            [
                "rung",
                "capacity rps",
                "vs baseline",
                "p50 / p99 ms at capacity",
                f"closed loop rps at {run.users} users",
                "queueing model's saturation rps",
                "valid points",
            ],
            capacity.headline_rows(run),
        ),
    ]
    lines += repeats.spread_lines(run)
    lines += calibration.section(run)
    lines += [f"![{p[:-4]}]({p})\n" for p in ("latency_vs_load.png", "goodput.png") if p in plots]
    lines += _load_plots(run, plots)
    for name, steps in run.swept.items():
        lines += [
            f"### {name}: the sweep",
            "",
            *table(points.POINT_HEADER, points.point_rows(steps, slo)),
        ]
    return lines + _prediction(run, plots)


def _decided(run: Run) -> str:
    """How sure each point's verdict is, where the run recorded it."""
    recorded = any("verdict" in s["open_loop"] for steps in run.swept.values() for s in steps)
    if not recorded:
        return ""
    return (
        " Each point runs until the 95% order-statistic interval of its p99 lies wholly "
        "within the SLO or wholly over it, or to the cap, where it is undecided; capacity "
        "counts only points decided within it. With fewer than "
        f"{quantile.fewest_samples(0.99)} answers no interval bounds a p99 from above, so "
        "the lowest rates may stay undecided."
    )


def _despite_delay(run: Run) -> str:
    """The late launches that still decide, where the run recorded the latency from the send."""
    measured = [s["open_loop"] for steps in run.swept.values() for s in steps]
    if not any("p99_sent_ms" in o for o in measured):
        return ""
    return (
        " Late launches alone still decide a point when the delay cannot change its "
        "verdict: a p99 decided within the SLO with the delays counted (latency is from "
        "the schedule), or a p99 from the actual send, the delays left out, whose 95% "
        "interval lies wholly over it."
    )


def _load_plots(run: Run, plots: list[str]) -> list[str]:
    """The spectra, the breakdown at one common rate, and CPU against load."""
    lines: list[str] = []
    if "spectra.png" in plots:
        lines += [
            "Latency by percentile at a low rate, a middle one and each rung's capacity "
            "(a percentile is drawn only where the point has the answers to tell it from "
            "the maximum):",
            "",
            "![spectra](spectra.png)",
            "",
        ]
    if "breakdown_at_rate.png" in plots:
        rate = capacity.common_rate(run)
        lines += [
            f"Where a request's time goes at {rate:g} requests/s, a rate every swept rung "
            "carried within the SLO, and what a request costs the server's CPU as load grows:",
            "",
            "![breakdown_at_rate](breakdown_at_rate.png)",
            "",
        ]
    if "cpu_vs_load.png" in plots:
        lines += ["![cpu_vs_load](cpu_vs_load.png)", ""]
    return lines


def _prediction(run: Run, plots: list[str]) -> list[str]:
    modelled = [n for n in run.swept if capacity.predictions(run, n)]
    if not modelled:
        return []
    paragraphs = (queueing.__doc__ or "").strip().split("\n\n")[1:]
    lines = ["### Predicted against measured", ""]
    for paragraph in paragraphs:
        lines += [paragraph.replace("\n", " "), ""]
    for name in modelled:
        lines += [f"{name}, up to {capacity.PREDICTED_UP_TO:.0%} of its capacity:", ""]
        lines += table(
            [
                "offered rps",
                "measured mean ms",
                "predicted mean ms",
                "gap",
                "measured wait ms",
                "predicted wait ms",
            ],
            capacity.prediction_rows(run, name),
        )
    gaps = [line for name in modelled for line in capacity.explain_gaps(run, name)]
    if gaps:
        over = f"Gaps over {capacity.PREDICTION_TOLERANCE:.0%} (!)"
        lines += [f"{over}, and the term of the model they come from:", "", *gaps, ""]
    if "prediction.png" in plots:
        lines += ["![prediction](prediction.png)", ""]
    return lines
