"""Separate runs' agreement: the headline target over several comparisons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness import repeatability
from harness.processes import ROOT

RESULTS = ROOT / "docs" / "results"


def _run(shipped: list[float], baseline: list[float], bounded: bool = False) -> dict[str, Any]:
    ratios = [s / b for s, b in zip(shipped, baseline, strict=True)]
    return {
        "run": "r",
        "path": "r",
        "commit": "abc",
        "dirty": False,
        "baseline": baseline,
        "shipped": shipped,
        "shipped_lower_bound": [bounded] * len(shipped),
        "shipped_median": sorted(shipped)[len(shipped) // 2],
        "ratio_median": sorted(ratios)[len(ratios) // 2],
    }


def test_runs_within_the_tolerance_of_their_median_meet_the_target() -> None:
    runs = [_run([200, 210, 190], [40] * 3), _run([220] * 3, [42] * 3), _run([185] * 3, [38] * 3)]
    result = repeatability.check(runs)
    assert result["capacity"]["median"] == 200
    assert result["capacity"]["worst"] == pytest.approx(0.1)  # 220 is 10% over 200
    assert result["capacity"]["met"] is True and result["ratio"]["met"] is True


def test_a_run_too_far_from_the_median_misses_it() -> None:
    runs = [_run([200] * 3, [40] * 3), _run([240] * 3, [40] * 3), _run([160] * 3, [40] * 3)]
    result = repeatability.check(runs)
    assert result["capacity"]["worst"] == pytest.approx(0.2) and result["capacity"]["met"] is False


def test_a_run_the_generator_bounded_leaves_the_target_undecided() -> None:
    runs = [_run([200] * 3, [40] * 3), _run([200] * 3, [40] * 3, bounded=True)]
    result = repeatability.check(runs)
    assert result["capacity"]["met"] is None and result["ratio"]["met"] is None
    assert "**not decided**" in repeatability.render(result, "c", Path("."))


def test_a_committed_run_gives_its_sweeps_and_their_medians(tmp_path: Path) -> None:
    run = RESULTS / "quick-20261203T161547Z"
    assert repeatability.main([str(run), str(run), "--out", str(tmp_path)]) == 0
    written = json.loads((tmp_path / "repeatability.json").read_text())
    (first, _) = written["runs"]
    assert first["baseline"] == [42.1, 42.1, 35.4] and first["commit"].startswith("f34aba8")
    assert first["shipped_lower_bound"] == [True, True, True]  # the generator fell behind
    assert written["capacity"]["met"] is None  # so nothing is decided
    assert "| >= 200, >= 200, >= 400 |" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize(
    "written", sorted(RESULTS.glob("repeat-*/repeatability.json")), ids=lambda p: p.parent.name
)
def test_a_committed_check_is_written_again_from_its_runs(written: Path) -> None:
    committed = json.loads(written.read_text())
    runs = [repeatability.run_figures(ROOT / r["path"]) for r in committed["runs"]]
    result = repeatability.check(runs)
    assert result["capacity"] == committed["capacity"] and result["ratio"] == committed["ratio"]
    text = repeatability.render(result, committed["command"], written.parent)
    assert text == (written.parent / "report.md").read_text()
