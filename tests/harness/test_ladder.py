"""The ladder and the experiment plan are data: roles decide what runs, never names."""

from __future__ import annotations

from typing import cast

from harness import containers, images, model_cost
from harness.ladder import BY_NAME, RUNGS, in_containers
from harness.plan import PROFILES, estimate_s, plan, repeated_sweeps
from harness.report.run import Run
from harness.report.served import served_from
from harness.summary import Summary


def test_every_role_of_the_report_is_held_by_exactly_one_rung() -> None:
    roles = [r.role for r in RUNGS if r.role]
    assert sorted(roles) == [
        "baseline",
        "calibration",
        "ceiling",
        "edge",
        "equal-capacity",
        "regather-off",
        "shipped",
    ]
    assert len({r.name for r in RUNGS}) == len(RUNGS)


def test_the_plan_follows_the_rung_fields() -> None:
    quick = PROFILES["quick"]
    for rung in RUNGS:
        names = [e.name for e in plan(rung, quick, 200)]
        if rung.kind == "calibration":  # what the measurement adds, at each offered rate
            assert names == ["sweep"]
            continue
        assert "ladder" in names
        assert ("cold" in names) == rung.batching
        assert ("ramp" in names) == rung.headline
        assert ("low_after" in names) == (rung.batching or rung.headline)
        assert ("few" in names) == (rung.batching or rung.role == "baseline")
    full = PROFILES["full"]
    soaked = [r.role for r in RUNGS if "soak" in [e.name for e in plan(r, full, 200)]]
    assert sorted(soaked) == ["baseline", "shipped"]


def test_the_quick_profile_sweeps_the_compared_rungs_and_the_full_one_every_rung() -> None:
    def swept(profile: str) -> list[str]:
        chosen = PROFILES[profile]
        return [r.role for r in RUNGS if "sweep" in [e.name for e in plan(r, chosen, 200)]]

    # the floor (bare) and the regather ablation beside the headline pair and the edge,
    # and the calibration that bounds every capacity claim
    assert sorted(swept("quick")) == [
        "baseline",
        "calibration",
        "ceiling",
        "edge",
        "regather-off",
        "shipped",
    ]
    assert len(swept("full")) == len(RUNGS)


def test_the_estimate_iterates_the_plan() -> None:
    quick = PROFILES["quick"]
    shipped = next(r for r in RUNGS if r.role == "shipped")
    experiments = plan(shipped, quick, 200)
    assert estimate_s(experiments, quick) > estimate_s(experiments[:1], quick) > 0
    # the quick profile's estimate stays within 25 minutes (its sweep points run until
    # their p99 is decided, its bisections reach 4.4% steps; README gives the time
    # measured, start-up and drains included)
    assert sum(estimate_s(plan(r, quick, 200), quick) for r in RUNGS) < 1500


def test_the_brief_profile_measures_throughput_and_capacity_once_a_rung() -> None:
    brief = PROFILES["brief"]
    answered = [r for r in RUNGS if r.role in model_cost.DEFAULT_ROLES]
    for rung in answered:
        assert [e.name for e in plan(rung, brief, 200)] == ["ladder", "sweep"]
    assert repeated_sweeps(list(RUNGS), brief) == []
    # a user's curve answered within 5 minutes: the estimate leaves a minute for start-ups
    assert sum(estimate_s(plan(r, brief, 200), brief) for r in answered) < 240


def test_containers_repeat_the_headline_pair_from_their_images() -> None:
    repeated = in_containers(list(RUNGS))
    assert {r.twin for r in repeated} == {r.name for r in RUNGS if r.headline}
    for rung in repeated:
        assert rung.image in (images.SYNC, images.BENTO)
        assert rung.role == ""  # the ladder and the batching checks, not the whole headline plan
        assert rung.name not in BY_NAME
    single = [r for r in repeated if r.topology == "single-pod"]
    assert all(f"{containers.CPUS} CPUs" in r.resources for r in single)
    (per_service,) = (r for r in repeated if r.topology == "per-service")
    assert BY_NAME[per_service.twin].role == "shipped"
    assert per_service.image == images.BENTO


def test_the_report_says_where_targets_ran() -> None:
    summary = cast(
        Summary,
        {"rungs": {"a": {"twin": "", "experiments": {}}}, "environment": {"cores": 2}, "users": 1},
    )
    assert "ran as processes on the host" in "\n".join(served_from(Run(summary)))


def test_the_headline_pair_is_swept_again_interleaved() -> None:
    quick = PROFILES["quick"]
    again = repeated_sweeps(list(RUNGS) + in_containers(list(RUNGS)), quick)
    assert [(r.role, e.name) for r, e in again] == [
        ("baseline", "sweep_2"),
        ("shipped", "sweep_2"),
        ("baseline", "sweep_3"),
        ("shipped", "sweep_3"),
    ]
    assert all(e.shape == "sweep" for _, e in again)
