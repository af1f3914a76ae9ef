"""The cost curve: where batching stops paying, its report, and the batch-curve measurement."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness import batch_curve, cost_curve, model_cost
from harness.processes import ROOT
from harness.report.cost_curve import render


def _point(per_item: float, shipped: float, baseline: float) -> dict[str, Any]:
    def rung(name: str, rps: float) -> dict[str, Any]:
        return {
            "rung": name,
            "rps": rps,
            "p99_ms": 200.0,
            "capacity_rps": rps / 2,
            "generator_limit_rps": None,
            "answers": round(rps * 6),
            "predicted_rps": rps,
        }

    return {
        "run": f"quick-{per_item:g}",
        "base_ms": 45.0,
        "per_item_ms": per_item,
        "users": 200,
        "commit": "abcdef0123",
        "rungs": {"baseline": rung("sync-seq", baseline), "shipped": rung("shipped", shipped)},
    }


def test_the_crossover_is_the_pair_of_costs_around_the_shipped_rungs_fall() -> None:
    points = [_point(45, 20, 25), _point(0, 700, 50), _point(2, 300, 50), _point(20, 40, 30)]
    assert cost_curve.crossover(points, "rps") == (20, 45)
    assert cost_curve.crossover(points[1:3], "rps") is None


def test_the_report_shows_every_point_and_says_where_batching_stops_paying(
    tmp_path: Path,
) -> None:
    points = [_point(0, 700, 50), _point(20, 40, 30), _point(45, 20, 25)]
    curve = {
        "command": "python -m harness.cost_curve --per-item 0,20,45",
        "points": points,
        "crossover_rps": cost_curve.crossover(points, "rps"),
        "crossover_capacity": cost_curve.crossover(points, "capacity_rps"),
        "profiles": {"flat": {"per_item_ms": 0.0, "source": "the sleeping model"}},
    }
    render(curve, tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert "falls to the baseline's between 20 and 45 ms per item" in text
    assert "| 20 | 3.2x | shipped BentoML (`shipped`) | 40 (240) | 40 | 200 | 20 |" in text
    assert "Every prediction is within 20% of the measured throughput." in text
    assert "(commit abcdef0)" in text and "- `flat`: 0.00 ms per item; the sleeping model" in text
    assert (tmp_path / "cost_curve.png").stat().st_size > 10_000


def test_a_batch_curve_measured_is_the_line_the_function_sleeps() -> None:
    def sleeps(batch: Any) -> None:
        time.sleep((4 + 0.05 * len(batch)) / 1000)

    table = batch_curve.measure(sleeps, [1, 16, 64, 128], features=4, seconds=0.2)
    line = model_cost.fit(table)
    # sleeps overshoot by a scheduler tick at most: the line is found, not exactly
    assert line.base_ms == pytest.approx(4, abs=1.5)
    assert line.per_item_ms == pytest.approx(0.05, abs=0.015)


def test_the_example_model_scores_each_row() -> None:
    predict = batch_curve.example_mlp(hidden=8)
    assert predict(np.zeros((5, 16), dtype=np.float32)).shape == (5, 1)


@pytest.mark.parametrize(
    "curve", sorted((ROOT / "docs" / "results").glob("cost-curve-*")), ids=lambda p: p.name
)
def test_a_committed_cost_curve_is_written_again_from_its_runs(curve: Path, tmp_path: Path) -> None:
    """What `python -m harness.cost_curve --render` writes: the same figures and report."""
    copy = tmp_path / curve.name
    copy.mkdir()
    for summary in curve.glob("*/summary.json"):
        (copy / summary.parent.name).mkdir()
        shutil.copy(summary, copy / summary.parent.name)
    committed = json.loads((curve / "cost_curve.json").read_text())
    again = cost_curve.write(copy, committed["command"])
    assert json.loads(json.dumps(again)) == committed
    assert (copy / "report.md").read_bytes() == (curve / "report.md").read_bytes()


def test_a_capacity_no_point_decided_is_left_out_of_the_crossover_and_said(
    tmp_path: Path,
) -> None:
    undecided = _point(20, 40, 30)
    for rung in undecided["rungs"].values():
        rung["capacity_rps"], rung["estimate_rps"] = None, 12.5
    points = [_point(0, 700, 50), _point(2, 300, 50), undecided]
    assert cost_curve.crossover(points, "capacity_rps") is None
    curve: dict[str, Any] = {
        "command": "c",
        "points": points,
        "crossover_rps": cost_curve.crossover(points, "rps"),
        "crossover_capacity": None,
        "profiles": {},
    }
    render(curve, tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert "at every cost where both were decided (per item ms: 0, 2)" in text
    assert "| none decided; p99 met at 12 rps on too few answers |" in text


def test_a_prediction_off_the_measured_throughput_is_named(tmp_path: Path) -> None:
    points = [_point(0, 700, 50), _point(20, 40, 30)]
    points[0]["rungs"]["shipped"]["predicted_rps"] = 1400.0  # measured at half of it
    curve: dict[str, Any] = {
        "command": "c",
        "points": points,
        "crossover_rps": None,
        "crossover_capacity": None,
        "profiles": {},
    }
    render(curve, tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert (
        "Measured more than 20% from the prediction: shipped BentoML at 0 ms (700 against 1400)."
        in text
    )
