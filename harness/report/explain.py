"""Sentences written from the measured numbers: where the delta between rungs comes from."""

from __future__ import annotations

import math

from harness.report.run import Run
from loadgen.steplog import Step
from scoring.timing import PARTS

LITTLE_TOLERANCE = 0.15


def little(s: Step) -> tuple[float, float]:
    """Closed loop, no think time: throughput = users / mean latency. Return it and the gap."""
    predicted = s["users"] / (s["mean_ms"] / 1000) if s.get("mean_ms") else math.nan
    return predicted, s["rps"] / predicted - 1 if predicted else math.nan


def explain_gap(s: Step, cores: int) -> str | None:
    """Say why measured throughput and users / latency disagree, for a flagged step."""
    _, gap = little(s)
    if math.isnan(gap) or abs(gap) <= LITTLE_TOLERANCE:
        return None
    if s["mean_ms"] * 2 > s["duration_s"] * 1000:
        return (
            f"latency ({s['mean_ms']:.0f} ms) is over half the measured "
            f"{s['duration_s']:.0f} s: the step ended before the closed loop reached "
            "steady state; a longer profile (--profile full) measures it"
        )
    if s["loadgen_cpu_cores"] > 0.9 or s["server_cpu_cores"] + s["loadgen_cpu_cores"] > cores:
        return "the load generator had no CPU left: time between requests was spent in Locust"
    if s["p99_ms"] > 5 * s["p50_ms"]:
        return (
            f"a few slow requests (p99 {s['p99_ms']:.0f} ms against p50 "
            f"{s['p50_ms']:.0f} ms) dominate the mean; at {s['users']} user(s) the "
            "first answers waited behind work left from the previous experiment"
        )
    return "the gap stays unexplained by the recorded numbers"


def breakdown(s: Step) -> dict[str, float]:
    """Mean ms per part, plus what the client saw beyond the server's own total."""
    timing = s.get("server_timing_ms", {})
    parts = {p: timing.get(p, 0.0) for p in PARTS}
    parts["outside handler"] = max(s.get("mean_ms", 0.0) - timing.get("total", 0.0), 0.0)
    return parts


def ladder_steps(run: Run) -> dict[str, Step]:
    """Each rung's step of the ladder experiment, for the rungs that ran it."""
    return {n: s for n in run.rungs if (s := run.step(n, "ladder"))}


def _baseline(run: Run, name: str, base: Step) -> str:
    t = base.get("server_timing_ms", {})
    n_workers = run.rungs[name]["workers"]
    service_s = t.get("total", math.nan) / 1000
    return (
        f"- **{name}**: each of the {n_workers} workers holds a request for its whole "
        f"service time ({t.get('total', math.nan):.0f} ms: {t.get('model', math.nan):.0f} ms "
        f"in the two model calls, {t.get('redis', math.nan):.1f} ms in Redis), so capacity "
        f"is workers / service time = {n_workers / service_s:.0f} rps; measured "
        f"{base['rps']:.0f} rps. At {base['users']} users the other requests wait in the "
        f"listen backlog: {breakdown(base)['outside handler']:.0f} ms of the "
        f"{base['mean_ms']:.0f} ms mean latency is outside the handler."
    )


def _rung(run: Run, name: str, s: Step, previous: Step, base: Step) -> str:
    t = s.get("server_timing_ms", {})
    batch = f"; mean batch {s['mean_batch_size']:.1f}" if s.get("mean_batch_size") else ""
    return (
        f"- **{name}** ({run.rungs[name]['isolates']}): {s['rps']:.0f} rps, "
        f"{s['rps'] / max(previous['rps'], 1e-9):.2f}x the rung before and "
        f"{s['rps'] / max(base['rps'], 1e-9):.2f}x the baseline; "
        f"p50 {s['p50_ms']:.0f} ms; server time per request: "
        + ", ".join(f"{p} {t[p]:.0f} ms" for p in PARTS if t.get(p, 0) >= 0.5)
        + f"; {s['server_cpu_ms_per_request']:.1f} server CPU-ms per request on "
        f"{s['server_cpu_cores']:.2f} cores{batch}."
    )


def _framework_cost(run: Run, ladder: dict[str, Step]) -> list[str]:
    edge_name, ceiling_name = run.named("edge"), run.named("ceiling")
    edge, ceiling = ladder.get(edge_name or ""), ladder.get(ceiling_name or "")
    if not (edge and ceiling):
        return []
    edge_cpu, bare_cpu = edge["server_cpu_ms_per_request"], ceiling["server_cpu_ms_per_request"]
    return [
        f"- **What the framework costs**: the same pipeline (one MGET and one call of each "
        f"in-process model per batch) needs {edge_cpu:.2f} server CPU-ms per request under "
        f"BentoML ({edge_name}) and {bare_cpu:.2f} as a bare Starlette app on uvicorn "
        f"({ceiling_name}): {edge_cpu - bare_cpu:.2f} ms per request is BentoML's own "
        f"request path; {edge['rps']:.0f} against {ceiling['rps']:.0f} rps "
        f"({edge['rps'] / max(ceiling['rps'], 1e-9):.0%})."
    ]


def _little_gaps(run: Run) -> list[str]:
    lines, cores = [], run.cores
    for name, rung in run.rungs.items():
        for exp_name, exp in rung["experiments"].items():
            for s in exp["steps"]:
                # Little's law as checked here holds for a closed loop only
                reason = None if "open_loop" in s else explain_gap(s, cores)
                if reason:
                    lines.append(
                        f"- Little's law gap (!) for {name} {exp_name} at {s['users']} "
                        f"users ({little(s)[1]:+.0%}): {reason}."
                    )
    return lines


def _cpu_bound(run: Run, ladder: dict[str, Step]) -> list[str]:
    cores = run.cores
    best = max(ladder.values(), key=lambda s: s["rps"], default=None)
    if not best or best["server_cpu_cores"] + best["loadgen_cpu_cores"] <= 0.8 * cores:
        return []
    return [
        f"- At the top, server ({best['server_cpu_cores']:.2f} cores) and Locust "
        f"({best['loadgen_cpu_cores']:.2f} cores) together use most of the {cores} cores: "
        "the async targets are CPU-bound here, so CPU-ms per request decides their ceiling; "
        "the sync targets are bound by worker count, not CPU."
    ]


def explain(run: Run) -> list[str]:
    """Sentences written from the measured numbers, rung by rung."""
    ladder = ladder_steps(run)
    base_name = run.named("baseline") or ""
    base = ladder.get(base_name)
    lines = [_baseline(run, base_name, base)] if base else []
    previous = base
    for name in [n for n in ladder if n != base_name]:
        s = ladder[name]
        if not previous or not previous["rps"] or not base:
            continue
        lines.append(_rung(run, name, s, previous, base))
        previous = s
    return [
        *lines,
        *_framework_cost(run, ladder),
        *_little_gaps(run),
        *_cpu_bound(run, ladder),
    ]
