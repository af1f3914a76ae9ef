"""How a run measures each headline target: a text of what was measured, and whether it met."""

from __future__ import annotations

from collections.abc import Callable

from harness.report import capacity
from harness.report.latency import Measurement
from harness.report.run import Run
from loadgen.steplog import Step


def ladder_step(run: Run, role: str) -> Step | None:
    name = run.named(role)
    return run.step(name, "ladder") if name else None


def speedup(run: Run, threshold: float) -> Measurement | None:
    main, base = ladder_step(run, "shipped"), ladder_step(run, "baseline")
    if not (main and base):
        return None
    ratio = main["rps"] / max(base["rps"], 1e-9)
    text = f"{main['rps']:.0f} vs {base['rps']:.0f} rps = {ratio:.2f}x; {main['failures']} errors"
    return text, ratio >= threshold and main["failures"] == 0


def cpu(run: Run, threshold: float) -> Measurement | None:
    main = ladder_step(run, "shipped")
    if not main:
        return None
    cpu = main["server_cpu_ms_per_request"]
    return f"{cpu:.2f} ms on {main['server_cpu_cores']:.2f} cores", cpu <= threshold


def share_of_edge(run: Run, threshold: float) -> Measurement | None:
    main, edge = ladder_step(run, "shipped"), ladder_step(run, "edge")
    if not (main and edge):
        return None
    share = main["rps"] / max(edge["rps"], 1e-9)
    return f"{main['rps']:.0f} vs {edge['rps']:.0f} rps = {share:.0%}", share >= threshold


def cold_shed(run: Run, threshold: float) -> Measurement | None:
    main = run.named("shipped")
    cold = run.step(main, "cold", 1) if main else None
    if not cold:
        return None
    shed = cold["statuses"].get("503", 0)
    text = f"{shed} x 503, {cold['error_rate']:.1%} errors, {cold['rps']:.0f} rps"
    return text, shed <= threshold


def p50_at_one_user(experiment: str) -> Callable[[Run, float], Measurement | None]:
    def measure(run: Run, threshold: float) -> Measurement | None:
        main = run.named("shipped")
        one = run.step(main, experiment) if main else None
        return (f"{one['p50_ms']:.0f} ms", one["p50_ms"] <= threshold) if one else None

    return measure


def best_bento_of_bare(run: Run, threshold: float) -> Measurement | None:
    ceiling = ladder_step(run, "ceiling")
    bento = [(n, run.step(n, "ladder")) for n, r in run.rungs.items() if r.get("kind") == "bento"]
    best = max(
        ((n, s["rps"]) for n, s in bento if s and s["error_rate"] <= 0.01),
        key=lambda item: item[1],
        default=None,
    )
    if not (best and ceiling):
        return None
    share = best[1] / max(ceiling["rps"], 1e-9)
    text = f"{best[1]:.0f} rps ({best[0]}) vs {ceiling['rps']:.0f} = {share:.0%}"
    return text, share >= threshold


def capacity_ratio(run: Run, threshold: float) -> Measurement | None:
    main, base = run.named("shipped"), run.named("baseline")
    if not (main and base) or not {main, base} <= set(run.swept):
        return None
    main_cap, base_cap = capacity.capacity(run, main), capacity.capacity(run, base)
    if not main_cap or not base_cap:
        return f"capacities {main_cap} and {base_cap} rps", False
    ratio = main_cap / base_cap
    text = f"{main_cap:.0f} vs {base_cap:.0f} rps = {ratio:.2f}x"
    if capacity.generator_limit(run, main) is not None:
        # a lower bound: met when it is enough, else the generator decided it
        return f"at least {text} (the generator fell behind)", ratio >= threshold or None
    return text, ratio >= threshold


def generator_kept_up(run: Run, threshold: float) -> Measurement | None:
    points = [
        (n, s["open_loop"])
        for n, steps in run.swept.items()
        for s in steps
        if s["open_loop"]["valid"]
    ]
    if not points:
        return None
    name, worst = max(points, key=lambda p: abs(p[1]["sent_rps"] / p[1]["scheduled_rps"] - 1))
    gap = worst["sent_rps"] / worst["scheduled_rps"] - 1
    text = (
        f"worst {gap:+.1%} ({name} at {worst['offered_rps']:.0f} rps offered) over "
        f"{len(points)} valid points"
    )
    return text, abs(gap) <= threshold


def prediction(run: Run, threshold: float) -> Measurement | None:
    worst = capacity.worst_gap(run, ("baseline", "shipped"))
    if worst is None:
        return None
    name, point = worst
    text = f"worst {point.gap:+.0%} ({name} at {point.offered_rps:.0f} rps)"
    return text, abs(point.gap) <= threshold
