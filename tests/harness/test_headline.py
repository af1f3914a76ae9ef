"""The report opens with its headline, the conditions it holds under, and the run's commit."""

from __future__ import annotations

from pathlib import Path

from harness import report
from tests.harness.test_report import swept_summary


def test_the_report_opens_with_the_headline_and_its_conditions(tmp_path: Path) -> None:
    data = swept_summary()
    data["environment"]["commit"] = "f93d62151ffa751d848d529db7a3222fc6acfeb1"
    data["settings"] = {"model_sleep_min_ms": 40.0, "model_sleep_max_ms": 50.0}
    data["targets"] = report.check_targets(data)
    report.write(data, tmp_path)
    markdown = (tmp_path / "report.md").read_text()
    first, summary_line = markdown.splitlines()[0], markdown.splitlines()[2]
    assert first == "# BentoML vs Flask: quick run a of f93d62151ffa"
    assert "made 800 rps against the Flask baseline's 50 (16.0x)" in summary_line
    assert "carried 160 rps against 28 (5.7x)" in summary_line
    assert "the Flask baseline holds 5 copies of each model" in summary_line
    assert "each model sleeps 40-50 ms per call or batch, plus 0 ms per item" in summary_line
    # the targets come last, before how to reproduce the run
    assert markdown.index("## Targets") > markdown.index("## The ablation ladder")
    html = (tmp_path / "report.html").read_text()
    assert "<title>BentoML vs Flask: quick run a of f93d62151ffa</title>" in html


def test_a_run_without_a_commit_says_so() -> None:
    data = swept_summary()
    assert "commit not recorded" in report.render_markdown(data).splitlines()[2]
