"""The project's performance targets as one table, judged on a run's summary."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from harness.plan import SOAK_FRACTION
from harness.report import capacity, measures
from harness.report.latency import Measurement, few_callers_p50, regather_cost, shipped_over_edge
from harness.report.run import Run
from harness.summary import Target
from loadgen.probe import rss_growth
from loadgen.steplog import Step


@dataclass(frozen=True)
class Check:
    """One target: its wording, its threshold, and how a run measures it."""

    wording: str  # formatted with the run's names, users and the threshold
    threshold: float
    measure: Callable[[Run, float], Measurement | None]  # None: not measured in this run


def _names(run: Run) -> dict[str, object]:
    return {
        "main": run.named("shipped"),
        "base": run.named("baseline"),
        "edge": run.named("edge"),
        "users": run.users,
        "slo": run.slo_ms,
        "upto": capacity.PREDICTED_UP_TO,
    }


CHECKS = (
    Check(
        "{main} >= {threshold:.0f}x {base} throughput at {users} users, zero errors",
        15,
        measures.speedup,
    ),
    Check(
        "{main}: server CPU <= {threshold:.1f} ms per request at {users} users, all its processes",
        1.5,
        measures.cpu,
    ),
    Check(
        "{main} >= {threshold:.0%} of the edge service's throughput at {users} users",
        0.85,
        measures.share_of_edge,
    ),
    Check(
        "{main}: a fresh server seeing 1 user then {cold_users} at once answers no 503",
        0,
        measures.cold_shed,
    ),
    Check(
        "{main}: p50 at 1 user <= {threshold:.0f} ms on a fresh server",
        60,
        measures.p50_at_one_user("cold"),
    ),
    Check(
        "{main}: p50 at 1 user <= {threshold:.0f} ms after ramp and stress",
        60,
        measures.p50_at_one_user("low_after"),
    ),
    Check(
        "{main}: p50 <= {threshold:.0f} ms at 2, 4 and 8 closed-loop users",
        65,
        few_callers_p50("shipped"),
    ),
    Check(
        "{edge}: p50 <= {threshold:.0f} ms at 2, 4 and 8 closed-loop users",
        65,
        few_callers_p50("edge"),
    ),
    Check(
        "{main}: open-loop p50 <= {threshold:.2f}x {edge}'s at every valid rate up to its capacity",
        1.15,
        shipped_over_edge("p50_ms"),
    ),
    Check(
        "{main}: open-loop p99 <= {threshold:.2f}x {edge}'s at every valid rate up to its capacity",
        1.25,
        shipped_over_edge("p99_ms"),
    ),
    Check(
        "{main}: regather costs <= {threshold:.0f} ms of p50 at 25 and 50 rps open loop "
        "(against the same design without it)",
        5,
        regather_cost,
    ),
    Check(
        "best BentoML configuration >= {threshold:.0%} of the bare Starlette rung at {users} users",
        0.6,
        measures.best_bento_of_bare,
    ),
    Check(
        "{main} carries >= {threshold:.0f}x {base}'s offered rate at p99 <= {slo:.0f} ms "
        "(open loop)",
        10,
        measures.capacity_ratio,
    ),
    Check(
        "at every valid sweep point the generator sent within {threshold:.0%} of its schedule",
        0.02,
        measures.generator_kept_up,
    ),
    Check(
        "queueing prediction within {threshold:.0%} of the measured mean latency for {base} "
        "and {main}, up to {upto:.0%} of capacity",
        0.20,
        measures.prediction,
    ),
)


def _slo_gates(run: Run) -> list[Target]:
    main_name = run.named("shipped")
    main = measures.ladder_step(run, "shipped")
    slo, users = run.summary.get("slo") or {}, run.users
    gates = []
    if main and (p95 := slo.get("p95_ms")) is not None:
        gates.append(
            Target(
                name=f"SLO: {main_name} p95 at {users} users <= {p95:.0f} ms",
                measured=f"{main['p95_ms']:.0f} ms",
                met=main["p95_ms"] <= p95,
                slo=True,
            )
        )
    if main and (errors := slo.get("error_rate")) is not None:
        gates.append(
            Target(
                name=f"SLO: {main_name} errors at {users} users <= {errors:.1%}",
                measured=f"{main['error_rate']:.2%}",
                met=main["error_rate"] <= errors,
                slo=True,
            )
        )
    return gates


# a soak fails when any server process's memory grows by this fraction after warm-up
SOAK_MAX_GROWTH = 0.10


def soaks(run: Run) -> dict[str, Step]:
    """Each rung's soak step, for the rungs that were soaked."""
    return {name: s for name in run.rungs if (s := run.step(name, "soak"))}


def _soak_targets(run: Run) -> list[Target]:
    targets = []
    for rung, soak in soaks(run).items():
        failures = soak["failures"]  # not-ok answers: non-200s and 200s with wrong scores
        growth = rss_growth(soak.get("rss_mb_by_process", {}))
        label, worst = max(growth.items(), key=lambda item: item[1], default=("-", math.nan))
        targets.append(
            Target(
                name=f"{rung}: soak at {soak['users']} users ({SOAK_FRACTION:.0%} of its breaking "
                f"point): zero errors, every server process's memory grows < {SOAK_MAX_GROWTH:.0%} "
                "after warm-up",
                measured=f"{failures} errors in {soak['requests']} requests; largest RSS growth "
                f"{worst:+.1%} ({label}) of {len(growth)} processes",
                met=failures == 0 and bool(growth) and worst < SOAK_MAX_GROWTH,
            )
        )
    return targets


def check_targets(run: Run) -> list[Target]:
    """Judge the run against every target it measured, then the SLO gates and soaks."""
    names = _names(run)
    main = run.named("shipped")
    cold = run.step(main, "cold", 1) if main else None
    names["cold_users"] = cold["users"] if cold else None
    targets = []
    for check in CHECKS:
        measured = check.measure(run, check.threshold)
        if measured is not None:
            name = check.wording.format(**names, threshold=check.threshold)
            targets.append(Target(name=name, measured=measured[0], met=measured[1]))
    return targets + _slo_gates(run) + _soak_targets(run)
