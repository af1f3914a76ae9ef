"""Targets, Little's law and the written report, from a synthetic summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from harness import report
from harness import summary as summary_file
from harness.report import calibration, explain, repeats
from harness.report.__main__ import main as rerender
from harness.report.run import Run
from harness.summary import ExperimentResult, Summary
from loadgen.steplog import Step

COMMITTED_RUN = Path(__file__).resolve().parents[2] / "docs" / "results"


def step(users: int, rps: float, mean_ms: float, statuses: dict[str, int] | None = None) -> Step:
    statuses = statuses or {"200": int(rps * 10)}
    failures = sum(n for code, n in statuses.items() if code != "200")
    return cast(
        Step,
        {
            "users": users,
            "duration_s": 10.0,
            "requests": sum(statuses.values()),
            "rps": rps,
            "mean_ms": mean_ms,
            "p50_ms": mean_ms,
            "p95_ms": mean_ms * 1.2,
            "p99_ms": mean_ms * 1.3,
            "failures": failures,
            "error_rate": failures / sum(statuses.values()),
            "statuses": statuses,
            "server_timing_ms": {"redis": 1.0, "model": 45.0, "total": 50.0},
            "windows_rps": [rps],
            "server_cpu_ms_per_request": 2.0,
            "server_cpu_cores": 0.5,
            "loadgen_cpu_cores": 0.1,
            "server_rss_mb": 100.0,
            "mean_batch_size": None,
            "rss_mb_by_process": {},
        },
    )


def rung(
    title: str, kind: str = "bento", role: str = "", **experiments: list[Step]
) -> dict[str, Any]:
    return {
        "title": title,
        "kind": kind,
        "role": role,
        "workers": 5,
        "color": "#123456",
        "batching": kind != "sync",
        "resources": "r",
        "isolates": "x",
        "experiments": {k: {"steps": v, "breaking_point": None} for k, v in experiments.items()},
    }


LEAN = cast(Step, {"server_cpu_ms_per_request": 1.2})


def summary() -> Summary:
    return cast(
        Summary,
        {
            "command": "python -m harness.compare",
            "started": "a",
            "finished": "b",
            "users": 200,
            "locust_processes": 1,
            "profile": {"name": "quick"},
            "settings": {},
            "environment": {
                "cpu_model": "cpu",
                "cores": 2,
                "memory_gib": 1,
                "python": "3.11",
                "os": "linux",
                "redis_server": "7",
                "packages": {"bentoml": "1.4.40"},
            },
            "rungs": {
                "sync-seq": rung("sync", "sync", "baseline", ladder=[step(200, 50, 4000)]),
                "async-runners": rung(
                    "bento",
                    role="shipped",
                    ladder=[step(200, 800, 660) | LEAN],
                    cold=[step(1, 18, 55), step(200, 300, 660, {"200": 700, "503": 300})],
                    low_after=[step(1, 5, 190)],
                ),
                "async-edge": rung("edge", role="edge", ladder=[step(200, 600, 300)]),
                "bare": rung("bare", "bare", "ceiling", ladder=[step(200, 1000, 200)]),
            },
            "slo": {},
            "targets": [],
        },
    )


def test_targets_are_judged_from_the_measurements() -> None:
    targets = {t["name"]: t["met"] for t in report.check_targets(summary())}
    assert targets["async-runners >= 15x sync-seq throughput at 200 users, zero errors"]
    assert targets[
        "async-runners: server CPU <= 1.5 ms per request at 200 users, all its processes"
    ]
    assert targets["async-runners >= 85% of the edge service's throughput at 200 users"]
    assert targets["best BentoML configuration >= 60% of the bare Starlette rung at 200 users"]
    assert targets["async-runners: p50 at 1 user <= 60 ms on a fresh server"]
    assert targets["async-runners: p50 at 1 user <= 60 ms after ramp and stress"] is False
    cold = [v for k, v in targets.items() if "at once answers no 503" in k]
    assert cold == [False]


def test_targets_are_missed_by_the_numbers() -> None:
    data = summary()
    data["rungs"]["async-runners"]["experiments"]["ladder"]["steps"] = [
        step(200, 450, 660) | {"server_cpu_ms_per_request": 2.5}
    ]
    data["rungs"]["bare"]["experiments"]["ladder"]["steps"] = [step(200, 1200, 100)]
    targets = {
        t["name"].split(" ")[0] + t["name"][-20:]: t["met"] for t in report.check_targets(data)
    }
    missed = {name for name, met in targets.items() if met is False}
    assert len(missed) == 6, targets  # 9x, 2.5 ms, 75% of edge, 37% of bare, cold, after load


def test_little_law_gap() -> None:
    predicted, gap = explain.little(step(200, 50, 4000))
    assert predicted == 50
    assert gap == 0
    assert explain.explain_gap(step(200, 20, 8000), cores=2) is not None
    assert explain.explain_gap(step(200, 50, 4000), cores=2) is None


def test_report_files_are_written(tmp_path: Path) -> None:
    data = summary()
    data["targets"] = report.check_targets(data)
    report.write(data, tmp_path)
    markdown = (tmp_path / "report.md").read_text()
    assert "| **async-edge**: edge |" in markdown
    assert "12.00x" in markdown  # 600 / 50 rps
    assert "#123456" not in markdown  # colours go to the plots only
    html = (tmp_path / "report.html").read_text()
    assert "<table>" in html and '<img src="ladder.png" alt="ladder" />' in html
    assert (tmp_path / "ladder.png").stat().st_size > 0


def test_slo_gates_are_judged_when_given() -> None:
    data = summary()
    assert not [t for t in report.check_targets(data) if t.get("slo")]
    data["slo"] = {"p95_ms": 500.0, "error_rate": 0.01}
    gates = {t["name"]: t["met"] for t in report.check_targets(data) if t.get("slo")}
    assert gates == {
        "SLO: async-runners p95 at 200 users <= 500 ms": False,  # 660 * 1.2
        "SLO: async-runners errors at 200 users <= 1.0%": True,
    }


def test_a_soak_is_judged_on_errors_and_each_process_memory(tmp_path: Path) -> None:
    data = summary()
    flat = {"11 ModelA": [300.0] * 6 + [305.0] * 6, "12 Scorer": [200.0] * 12}
    leaking = {**flat, "12 Scorer": [200.0 + 5 * i for i in range(12)]}  # +25%
    soaks = {
        "sync-seq": step(35, 50, 700) | {"rss_mb_by_process": flat},
        "async-runners": step(70, 200, 350) | {"rss_mb_by_process": leaking},
    }
    for name, soak in soaks.items():
        data["rungs"][name]["experiments"]["soak"] = cast(ExperimentResult, {"steps": [soak]})
    data["profile"]["window_s"] = 5
    one_error = step(35, 50, 700, {"200": 499, "503": 1}) | {"rss_mb_by_process": flat}
    data["rungs"]["sync-seq"]["experiments"]["soak"]["steps"][0] = one_error
    verdicts = {
        t["name"].split(":")[0]: t for t in report.check_targets(data) if "soak" in t["name"]
    }
    assert verdicts["sync-seq"]["met"] is False  # flat memory, but one error
    assert verdicts["async-runners"]["met"] is False
    assert "12 Scorer" in verdicts["async-runners"]["measured"]
    data["rungs"]["sync-seq"]["experiments"]["soak"]["steps"][0] = soaks["sync-seq"]
    verdicts = {
        t["name"].split(":")[0]: t for t in report.check_targets(data) if "soak" in t["name"]
    }
    assert verdicts["sync-seq"]["met"] is True
    data["targets"] = report.check_targets(data)
    report.write(data, tmp_path)
    assert (tmp_path / "soak.png").stat().st_size > 0


# every committed comparison: the curated runs, the runs of each committed cost curve
# and of each repeatability check (harness.entry_pods writes a summary of its own:
# tests/harness/test_entry_pods.py)
COMPARISONS = sorted(
    p
    for p in [
        *COMMITTED_RUN.glob("*/summary.json"),
        *COMMITTED_RUN.glob("cost-curve-*/*/summary.json"),
        *COMMITTED_RUN.glob("repeat-*/*/summary.json"),
    ]
    if not p.parent.name.startswith("entry-pods-")
)


@pytest.mark.parametrize("run", COMPARISONS, ids=lambda p: p.parent.name)
def test_a_committed_run_re_renders_byte_for_byte(run: Path) -> None:
    # what python -m harness.report writes as report.md (the CLI itself: below)
    data = summary_file.load(run)
    data["targets"] = report.check_targets(data)
    rendered = report.render_markdown(data)
    assert rendered.encode() == (run.parent / "report.md").read_bytes()
    # every plot the report shows, beside the screenshot of its first screen
    plots = {p.name for p in run.parent.glob("*.png")} - {"first_screen.png"}
    assert set(report.shown_plots(data)) == plots


def test_the_summary_round_trips_through_its_file(tmp_path: Path) -> None:
    data = summary()
    summary_file.dump(data, tmp_path / "summary.json")
    assert summary_file.load(tmp_path / "summary.json") == data


def test_re_rendering_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stopped:
        rerender([str(tmp_path / "nothing.json")])
    assert stopped.value.code == 2


def open_step(rate: float, mean_ms: float, p99_ms: float, server_ms: float) -> Step:
    s = step(1, rate, mean_ms)
    s["server_timing_ms"] = {"batch_wait": 20.0, "model": 45.0, "total": server_ms}
    s["server_cpu_cores"] = 0.1 + rate * 0.001
    quantiles = {"0": mean_ms / 2, "50": mean_ms, "99": p99_ms, "99.9": p99_ms, "100": p99_ms}
    s["open_loop"] = {
        "offered_rps": rate,
        "scheduled_rps": rate,
        "sent_rps": rate,
        "late_p99_ms": 2.0,
        "mean_ms": mean_ms,
        "p50_ms": mean_ms,
        "p99_ms": p99_ms,
        "p999_ms": p99_ms,
        "quantiles_ms": quantiles,
        "goodput_rps": rate if p99_ms <= 250 else rate / 2,
        "valid": True,
        "invalid_reason": None,
        "meets_slo": p99_ms <= 250,
    }
    return s


def swept_summary() -> Summary:
    data = summary()
    sweeps = {
        "sync-seq": [
            open_step(10, 95, 120, 90),
            open_step(20, 100, 180, 90),
            open_step(40, 150, 400, 90),
            open_step(28, 110, 240, 90),
        ],
        "async-runners": [
            open_step(10, 70, 100, 65),
            open_step(20, 72, 110, 66),
            open_step(40, 75, 120, 66),
            open_step(80, 80, 140, 67),
            open_step(160, 90, 180, 70),
            open_step(320, 130, 300, 80),
        ],
        "async-edge": [open_step(10, 60, 90, 55), open_step(20, 62, 95, 56)],
    }
    for name, steps in sweeps.items():
        met = [s["open_loop"]["offered_rps"] for s in steps if s["open_loop"]["meets_slo"]]
        data["rungs"][name]["experiments"]["sweep"] = cast(
            ExperimentResult,
            {
                "shape": "sweep",
                "steps": steps,
                "breaking_point": None,
                "capacity_rps": max(met),
                "slo_p99_ms": 250.0,
            },
        )
    data["rungs"]["async-edge"]["experiments"]["sweep"]["generator_limit_rps"] = 40.0
    data["sweep_slo_p99_ms"] = 250.0
    return data


def test_capacity_under_the_slo_is_judged_and_reported(tmp_path: Path) -> None:
    data = swept_summary()
    targets = {t["name"]: t for t in report.check_targets(data)}
    ratio = next(t for name, t in targets.items() if "offered rate at p99 <= 250 ms" in name)
    assert ratio["measured"] == "160 vs 28 rps = 5.71x" and ratio["met"] is False  # under 10x
    sent = next(t for name, t in targets.items() if "sent within 2%" in name)
    assert sent["met"] is True
    prediction = next(t for name, t in targets.items() if "queueing prediction" in name)
    assert prediction["met"] is not None
    summary_file.dump(data, tmp_path / "summary.json")
    assert rerender([str(tmp_path / "summary.json")]) == 0  # python -m harness.report
    markdown = (tmp_path / "report.md").read_text()
    assert "<table>" in (tmp_path / "report.html").read_text()
    assert "## Capacity under the SLO: p99 <= 250 ms, open loop" in markdown
    assert "| **async-runners** | 160 | 5.71x | 90 / 180 |" in markdown
    # the highest rate all three met
    assert "Where a request's time goes at 20 requests/s, a rate every swept rung" in markdown
    assert "| **async-edge** | >= 20 (the generator fell behind at 40) | >= 0.71x |" in markdown
    assert "### Predicted against measured" in markdown
    for plot in (
        "latency_vs_load",
        "goodput",
        "spectra",
        "breakdown_at_rate",
        "cpu_vs_load",
        "prediction",
    ):
        assert (tmp_path / f"{plot}.png").stat().st_size > 0
        assert f"![{plot}]({plot}.png)" in markdown


def test_targets_under_a_costlier_model_are_read_as_its_figures() -> None:
    data = summary()
    data["targets"] = report.check_targets(data)
    assert "read them as figures of that model" not in report.render_markdown(data)
    data["settings"] = {"model_item_cost_ms": 0.5}
    assert "this run's model costs 0.5 ms more per item" in report.render_markdown(data)


def test_a_late_point_that_still_decided_says_why(tmp_path: Path) -> None:
    data = swept_summary()
    steps = data["rungs"]["async-runners"]["experiments"]["sweep"]["steps"]
    missed = steps[-1]["open_loop"]  # 320 rps, p99 300 ms: launched late, over from the send too
    missed["late_p99_ms"], missed["verdict"] = 40.0, "fails"
    missed["p99_sent_ms"], missed["p99_sent_low_ms"] = 262.0, 258.0
    met = steps[-2]["open_loop"]  # 160 rps, p99 180 ms with the delays counted
    met["late_p99_ms"], met["verdict"] = 30.0, "meets"
    met["p99_sent_ms"], met["p99_sent_low_ms"] = 150.0, 148.0
    summary_file.dump(data, tmp_path / "summary.json")
    assert rerender([str(tmp_path / "summary.json")]) == 0
    markdown = (tmp_path / "report.md").read_text()
    assert "Late launches alone still decide a point when the delay cannot change" in markdown
    assert (
        "| 40.0 | 2.0 | - | misses (from the actual send too: p99 over 258 ms at 95%) |" in markdown
    )
    assert "| meets (with the launch delay counted) |" in markdown


def _calibration_point(offered: float, p99_ms: float, valid: bool = True) -> dict[str, object]:
    point = {
        "offered_rps": offered,
        "p50_ms": 50.0,
        "p99_ms": p99_ms,
        "p999_ms": p99_ms,
        "late_p99_ms": 2.0,
        "valid": valid,
        "invalid_reason": None if valid else "late",
        "samples": 500,
        "p99_low_ms": p99_ms - 2,
        "p99_high_ms": None,
    }
    return {"open_loop": point, "requests": 500, "loadgen_cpu_cores": 0.1}


def test_the_calibration_bounds_capacity_claims_where_it_adds_a_tenth_of_the_slo() -> None:
    steps = [
        _calibration_point(25, 50),
        _calibration_point(50, 60),
        _calibration_point(100, 200, valid=False),  # the generator fell behind: not counted
        _calibration_point(200, 65),
        _calibration_point(400, 71),  # 26 ms over the 45 ms sleep: past 10% of 250 ms
    ]
    rung = {"role": "calibration", "experiments": {"sweep": {"steps": steps}}}
    data = cast(
        Summary,
        {
            "rungs": {"calibration-45ms": rung},
            "environment": {"cores": 2},
            "users": 1,
            "sweep_slo_p99_ms": 250.0,
        },
    )
    run = Run(data)
    assert run.swept == {}  # not a design: kept out of every capacity comparison
    assert calibration.bound_rps(run) == 200
    text = "\n".join(calibration.section(run))
    assert "Up to 200 rps the added p99 stays under 25 ms" in text
    assert "| 400.0 | 500 | 5 | 26 | 24-inf |" in text


def test_repeated_sweeps_give_each_capacity_their_median_range_and_ratio() -> None:
    def rung(role: str, caps: list[float | None]) -> dict[str, object]:
        names = ["sweep", *(f"sweep_{k}" for k in range(2, len(caps) + 1))]
        sweeps: dict[str, dict[str, object]] = {
            n: {"steps": [], "capacity_rps": c} for n, c in zip(names, caps, strict=True)
        }
        sweeps["sweep_2"]["generator_limit_rps"] = 400.0 if role == "shipped" else None
        return {"role": role, "experiments": sweeps}

    data = cast(
        Summary,
        {
            "rungs": {
                "base": rung("baseline", [40, 42, 50]),
                "ship": rung("shipped", [168, 200, 141]),
            },
            "environment": {"cores": 2},
            "users": 1,
        },
    )
    text = "\n".join(repeats.spread_lines(Run(data)))
    assert "swept 3 times" in text
    assert "**ship**: 168, >= 200, 141 rps; median 168, range 141-200 (1 of 3 are lower" in text
    assert "**base**: 40, 42, 50 rps; median 42, range 40-50 (at most 19% from" in text
    assert "sweep by sweep: 4.20x, 4.76x, 2.82x; median 4.20x" in text
