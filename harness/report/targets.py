"""The project's performance targets as one table, judged on a run's summary."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from harness.report import capacity
from harness.report.latency import Measurement, few_callers_p50, regather_cost, shipped_over_edge
from harness.summary import Summary, Target, rung_named, step
from loadgen.probe import rss_growth
from loadgen.steplog import Step


@dataclass(frozen=True)
class Check:
    """One target: its wording, its threshold, and how a run measures it."""

    wording: str  # formatted with the run's names, users and the threshold
    threshold: float
    measure: Callable[[Summary, float], Measurement | None]  # None: not measured in this run


def _names(summary: Summary) -> dict[str, object]:
    return {
        "main": rung_named(summary, "shipped"),
        "base": rung_named(summary, "baseline"),
        "edge": rung_named(summary, "edge"),
        "users": summary["users"],
        "slo": capacity.slo_ms(summary),
    }


def _ladder(summary: Summary, role: str) -> Step | None:
    name = rung_named(summary, role)
    return step(summary, name, "ladder") if name else None


def _speedup(summary: Summary, threshold: float) -> Measurement | None:
    main, base = _ladder(summary, "shipped"), _ladder(summary, "baseline")
    if not (main and base):
        return None
    ratio = main["rps"] / max(base["rps"], 1e-9)
    text = f"{main['rps']:.0f} vs {base['rps']:.0f} rps = {ratio:.2f}x; {main['failures']} errors"
    return text, ratio >= threshold and main["failures"] == 0


def _cpu(summary: Summary, threshold: float) -> Measurement | None:
    main = _ladder(summary, "shipped")
    if not main:
        return None
    cpu = main["server_cpu_ms_per_request"]
    return f"{cpu:.2f} ms on {main['server_cpu_cores']:.2f} cores", cpu <= threshold


def _share_of_edge(summary: Summary, threshold: float) -> Measurement | None:
    main, edge = _ladder(summary, "shipped"), _ladder(summary, "edge")
    if not (main and edge):
        return None
    share = main["rps"] / max(edge["rps"], 1e-9)
    return f"{main['rps']:.0f} vs {edge['rps']:.0f} rps = {share:.0%}", share >= threshold


def _cold_shed(summary: Summary, threshold: float) -> Measurement | None:
    main = rung_named(summary, "shipped")
    cold = step(summary, main, "cold", 1) if main else None
    if not cold:
        return None
    shed = cold["statuses"].get("503", 0)
    text = f"{shed} x 503, {cold['error_rate']:.1%} errors, {cold['rps']:.0f} rps"
    return text, shed <= threshold


def _p50_at_one_user(experiment: str) -> Callable[[Summary, float], Measurement | None]:
    def measure(summary: Summary, threshold: float) -> Measurement | None:
        main = rung_named(summary, "shipped")
        one = step(summary, main, experiment) if main else None
        return (f"{one['p50_ms']:.0f} ms", one["p50_ms"] <= threshold) if one else None

    return measure


def _best_bento_of_bare(summary: Summary, threshold: float) -> Measurement | None:
    ceiling = _ladder(summary, "ceiling")
    bento = [(n, step(summary, n, "ladder")) for n, r in summary["rungs"].items()
             if r.get("kind") == "bento"]  # fmt: skip
    best = max(((n, s["rps"]) for n, s in bento if s and s["error_rate"] <= 0.01),
               key=lambda item: item[1], default=None)  # fmt: skip
    if not (best and ceiling):
        return None
    share = best[1] / max(ceiling["rps"], 1e-9)
    text = f"{best[1]:.0f} rps ({best[0]}) vs {ceiling['rps']:.0f} = {share:.0%}"
    return text, share >= threshold


def _capacity_ratio(summary: Summary, threshold: float) -> Measurement | None:
    main, base = rung_named(summary, "shipped"), rung_named(summary, "baseline")
    if not (main and base) or not {main, base} <= set(capacity.swept(summary)):
        return None
    main_cap, base_cap = capacity.capacity(summary, main), capacity.capacity(summary, base)
    if not main_cap or not base_cap:
        return f"capacities {main_cap} and {base_cap} rps", False
    ratio = main_cap / base_cap
    text = f"{main_cap:.0f} vs {base_cap:.0f} rps = {ratio:.2f}x"
    if capacity.generator_limit(summary, main) is not None:
        # a lower bound: met when it is enough, else the generator decided it
        return f"at least {text} (the generator fell behind)", ratio >= threshold or None
    return text, ratio >= threshold


def _generator_kept_up(summary: Summary, threshold: float) -> Measurement | None:
    points = [(n, s["open_loop"]) for n, steps in capacity.swept(summary).items()
              for s in steps if s["open_loop"]["valid"]]  # fmt: skip
    if not points:
        return None
    name, worst = max(points, key=lambda p: abs(p[1]["sent_rps"] / p[1]["scheduled_rps"] - 1))
    gap = worst["sent_rps"] / worst["scheduled_rps"] - 1
    text = (f"worst {gap:+.1%} ({name} at {worst['offered_rps']:.0f} rps offered) over "
            f"{len(points)} valid points")  # fmt: skip
    return text, abs(gap) <= threshold


def _prediction(summary: Summary, threshold: float) -> Measurement | None:
    worst = capacity.worst_gap(summary, ("baseline", "shipped"))
    if worst is None:
        return None
    name, point = worst
    text = f"worst {point.gap:+.0%} ({name} at {point.offered_rps:.0f} rps)"
    return text, abs(point.gap) <= threshold


CHECKS = (
    Check("{main} >= {threshold:.0f}x {base} throughput at {users} users, zero errors",
          15, _speedup),
    Check("{main}: server CPU <= {threshold:.1f} ms per request at {users} users, "
          "all its processes", 1.5, _cpu),
    Check("{main} >= {threshold:.0%} of the edge service's throughput at {users} users",
          0.85, _share_of_edge),
    Check("{main}: a fresh server seeing 1 user then {cold_users} at once answers no 503",
          0, _cold_shed),
    Check("{main}: p50 at 1 user <= {threshold:.0f} ms on a fresh server",
          60, _p50_at_one_user("cold")),
    Check("{main}: p50 at 1 user <= {threshold:.0f} ms after ramp and stress",
          60, _p50_at_one_user("low_after")),
    Check("{main}: p50 <= {threshold:.0f} ms at 2, 4 and 8 closed-loop users",
          65, few_callers_p50("shipped")),
    Check("{edge}: p50 <= {threshold:.0f} ms at 2, 4 and 8 closed-loop users",
          65, few_callers_p50("edge")),
    Check("{main}: open-loop p50 <= {threshold:.2f}x {edge}'s at every valid rate up to its "
          "capacity", 1.15, shipped_over_edge("p50_ms")),
    Check("{main}: open-loop p99 <= {threshold:.2f}x {edge}'s at every valid rate up to its "
          "capacity", 1.25, shipped_over_edge("p99_ms")),
    Check("{main}: regather costs <= {threshold:.0f} ms of p50 at 25 and 50 rps open loop "
          "(against the same design without it)", 5, regather_cost),
    Check("best BentoML configuration >= {threshold:.0%} of the bare Starlette rung at "
          "{users} users", 0.6, _best_bento_of_bare),
    Check("{main} carries >= {threshold:.0f}x {base}'s offered rate at p99 <= {slo:.0f} ms "
          "(open loop)", 10, _capacity_ratio),
    Check("at every valid sweep point the generator sent within {threshold:.0%} of its "
          "schedule", 0.02, _generator_kept_up),
    Check("queueing prediction within {threshold:.0%} of the measured mean latency for {base} "
          "and {main}, up to 80% of capacity", 0.20, _prediction),
)  # fmt: skip


def _slo_gates(summary: Summary) -> list[Target]:
    main_name = rung_named(summary, "shipped")
    main = _ladder(summary, "shipped")
    slo, users = summary.get("slo") or {}, summary["users"]
    gates = []
    if main and (p95 := slo.get("p95_ms")) is not None:
        gates.append(Target(
            name=f"SLO: {main_name} p95 at {users} users <= {p95:.0f} ms",
            measured=f"{main['p95_ms']:.0f} ms", met=main["p95_ms"] <= p95, slo=True,
        ))  # fmt: skip
    if main and (errors := slo.get("error_rate")) is not None:
        gates.append(Target(
            name=f"SLO: {main_name} errors at {users} users <= {errors:.1%}",
            measured=f"{main['error_rate']:.2%}", met=main["error_rate"] <= errors, slo=True,
        ))  # fmt: skip
    return gates


def soaks(summary: Summary) -> dict[str, Step]:
    """Each rung's soak step, for the rungs that were soaked."""
    return {name: s for name in summary["rungs"] if (s := step(summary, name, "soak"))}


def _soak_targets(summary: Summary) -> list[Target]:
    targets = []
    for rung, soak in soaks(summary).items():
        failures = soak["failures"]  # not-ok answers: non-200s and 200s with wrong scores
        growth = rss_growth(soak.get("rss_mb_by_process", {}))
        label, worst = max(growth.items(), key=lambda item: item[1], default=("-", math.nan))
        targets.append(Target(
            name=f"{rung}: soak at {soak['users']} users (70% of its breaking point): zero "
            "errors, every server process's memory grows < 10% after warm-up",
            measured=f"{failures} errors in {soak['requests']} requests; largest RSS growth "
            f"{worst:+.1%} ({label}) of {len(growth)} processes",
            met=failures == 0 and bool(growth) and worst < 0.10,
        ))  # fmt: skip
    return targets


def check_targets(summary: Summary) -> list[Target]:
    """Judge the run against every target it measured, then the SLO gates and soaks."""
    names = _names(summary)
    main = rung_named(summary, "shipped")
    cold = step(summary, main, "cold", 1) if main else None
    names["cold_users"] = cold["users"] if cold else None
    targets = []
    for check in CHECKS:
        measured = check.measure(summary, check.threshold)
        if measured is not None:
            name = check.wording.format(**names, threshold=check.threshold)
            targets.append(Target(name=name, measured=measured[0], met=measured[1]))
    return targets + _slo_gates(summary) + _soak_targets(summary)
