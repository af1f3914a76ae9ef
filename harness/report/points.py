"""The table of a sweep's points: each offered rate, its latency, its p99 verdict and why."""

from __future__ import annotations

from harness.report.text import fmt
from loadgen.openloop import LATE_P99_SHARE_OF_SLO
from loadgen.steplog import OpenLoop, Step


def point_rows(steps: list[Step], slo_ms: float) -> list[list[str]]:
    rows = []
    for s in steps:
        o = s["open_loop"]
        errors = ", ".join(f"{k}: {v}" for k, v in s["statuses"].items() if k != "200") or "0"
        verdict = _verdict(o) + _despite_delay(o, slo_ms)
        rows.append(
            [
                fmt(o["offered_rps"], 1),
                fmt(o["scheduled_rps"]),
                fmt(o["sent_rps"]),
                fmt(o["p50_ms"]),
                fmt(o["p99_ms"]),
                _interval(o),
                fmt(o["p999_ms"]),
                fmt(o["mean_ms"]),
                fmt(o["goodput_rps"]),
                errors,
                fmt(o["late_p99_ms"], 1),
                fmt(s["server_cpu_ms_per_request"], 1),
                fmt(s.get("mean_batch_size"), 1),
                verdict + (f" ({o['invalid_reason']})" if o["invalid_reason"] else ""),
            ]
        )
    return rows


def _verdict(o: OpenLoop) -> str:
    if not o["valid"]:
        return "invalid"
    if "verdict" not in o:  # a run from before verdicts were decided
        return "meets" if o["meets_slo"] else "misses"
    return {"meets": "meets", "fails": "misses", "undecided": "undecided"}[o["verdict"]]


def _despite_delay(o: OpenLoop, slo_ms: float) -> str:
    """Why a point whose generator fell behind still decided, where it did."""
    if not o["valid"] or o["late_p99_ms"] <= LATE_P99_SHARE_OF_SLO * slo_ms:
        return ""
    if o.get("verdict") == "meets":
        return " (with the launch delay counted)"
    low = o.get("p99_sent_low_ms")
    return f" (from the actual send too: p99 over {fmt(low)} ms at 95%)" if low else ""


def p99_interval(o: OpenLoop, less_ms: float = 0.0) -> str:
    """The 95% interval of the p99, less_ms taken off each end, or a dash where the run did not
    record it; an end too few answers bound is '?' below and 'inf' above."""
    if "samples" not in o:
        return "-"
    low, high = o.get("p99_low_ms"), o.get("p99_high_ms")
    low_text = fmt(low - less_ms) if low is not None else "?"
    return f"{low_text}-{fmt(high - less_ms) if high is not None else 'inf'}"


def _interval(o: OpenLoop) -> str:
    return f"{p99_interval(o)} ({o['samples']})" if "samples" in o else "-"


POINT_HEADER = [
    "offered rps",
    "scheduled rps",
    "sent rps",
    "p50 ms",
    "p99 ms",
    "p99 at 95% (answers)",
    "p99.9 ms",
    "mean ms",
    "goodput rps",
    "errors by status",
    "launch delay p99 ms",
    "server CPU-ms/req",
    "mean batch",
    "SLO",
]
