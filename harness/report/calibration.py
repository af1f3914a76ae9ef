"""What the measurement itself adds: the calibration rung's sweep, read against its sleep."""

from __future__ import annotations

from harness.report.points import p99_interval
from harness.report.run import Run
from harness.report.text import fmt, table
from loadgen.openloop import LATE_P99_SHARE_OF_SLO
from loadgen.steplog import Step

# bare/calibration.py's sleep (harness may not import bare; a test holds the two equal)
SLEEP_MS = 45.0


def added_ms(value: float) -> str:
    """A latency less the calibration target's sleep: what the measurement added."""
    return fmt(value - SLEEP_MS)


def bound_rps(run: Run) -> float | None:
    """The highest offered rate up to which every valid calibration point added less p99
    than the share of the SLO a generator may add, or None when the first did not."""
    bound = None
    for step in run.calibration:
        point = step["open_loop"]
        if not point["valid"]:
            continue
        if point["p99_ms"] - SLEEP_MS >= LATE_P99_SHARE_OF_SLO * run.slo_ms:
            break
        bound = point["offered_rps"]
    return bound


def _row(step: Step) -> list[str]:
    point = step["open_loop"]
    return [
        fmt(point["offered_rps"], 1),
        str(point.get("samples", step["requests"])),
        added_ms(point["p50_ms"]),
        added_ms(point["p99_ms"]),
        p99_interval(point, SLEEP_MS),
        added_ms(point["p999_ms"]),
        fmt(point["late_p99_ms"], 1),
        fmt(step["loadgen_cpu_cores"], 2),
        "valid" if point["valid"] else f"invalid ({point['invalid_reason']})",
    ]


def section(run: Run) -> list[str]:
    """The calibration rung's table and the rate up to which capacity claims hold."""
    if not run.calibration:
        return []
    limit = LATE_P99_SHARE_OF_SLO * run.slo_ms
    bound = bound_rps(run)
    verdict = (
        f"Up to {fmt(bound)} rps the added p99 stays under {limit:.0f} ms "
        f"({LATE_P99_SHARE_OF_SLO:.0%} of the SLO): a capacity above that rate holds more "
        "of the measurement's own latency than that."
        if bound is not None
        else f"Even the lowest rate added {limit:.0f} ms or more to p99: no capacity here is "
        "free of the measurement's own latency."
    )
    header = [
        "offered rps",
        "answers",
        "added p50 ms",
        "added p99 ms",
        "added p99 at 95%",
        "added p99.9 ms",
        "launch delay p99 ms",
        "Locust cores",
        "point",
    ]
    return [
        "### What the measurement adds: the calibration rung",
        "",
        "The same contract answered after a fixed 45 ms sleep, with no Redis, no model and "
        "no batching (`bare/calibration.py`), swept like the others: its latency above "
        "45 ms is what Locust, the loopback and this machine's scheduler add at each "
        f"offered rate, with the servers idle. {verdict}",
        "",
        *table(header, [_row(s) for s in run.calibration]),
    ]
