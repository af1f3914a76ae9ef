"""harness.entry_pods: its arguments refuse what they cannot run; its report shows each point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import entry_pods
from harness.processes import ROOT
from harness.report.entry_pods import report


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--callers", "1,x"], "whole numbers"),
        (["--rates", "0"], "at least 1"),
        (["--batchers", "adaptive,contiuous"], "choose from"),
    ],
)
def test_arguments_it_cannot_run_are_refused_by_name(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        entry_pods._parser().parse_args(argv)
    assert stopped.value.code == 2
    assert complaint in capsys.readouterr().err


def _point(batcher: str, repeat: int, load: str, p50: float) -> dict[str, object]:
    return {
        "batcher": batcher,
        "repeat": repeat,
        "load": load,
        "answers": 100,
        "failed": 0,
        "rps": 20.0,
        "p50_ms": p50,
        "p99_ms": 2 * p50,
        "entry_batches": 90.0,
        "model_a_calls": 45.0,
        "batches_per_call": 2.0,
    }


def test_the_report_gives_each_batcher_and_load_the_median_of_its_repeats() -> None:
    points = [
        _point("adaptive", r, load, p50)
        for r, p50s in enumerate([(95, 97), (91, 99), (93, 98)])
        for load, p50 in zip(["1 callers/pod", "20 rps open loop"], p50s, strict=True)
    ]
    summary = {
        "command": "python -m harness.entry_pods --repeats 3",
        "environment": {"commit": "abc123", "dirty": False, "cores": 2},
        "conditions": {"pods": 2, "seconds": 10.0, "repeats": 3, "batchers": ["adaptive"]},
        "points": points,
    }
    text = report(summary)
    assert "`python -m harness.entry_pods --repeats 3` at commit `abc123`" in text
    assert "| adaptive | 1 callers/pod | 300 | 20 | 93 | 186 | 2.00 |" in text
    assert "| adaptive | 20 rps open loop | 300 | 20 | 98 | 196 | 2.00 |" in text


@pytest.mark.parametrize(
    "run", sorted((ROOT / "docs" / "results").glob("entry-pods-*")), ids=lambda p: p.name
)
def test_a_committed_run_re_renders_byte_for_byte(run: Path) -> None:
    summary = json.loads((run / "summary.json").read_text())
    assert report(summary).encode() == (run / "report.md").read_bytes()
