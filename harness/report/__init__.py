"""Turn a comparison's summary into report.md, report.html and plots.

Re-render a run without re-running it: python -m harness.report results/<run>/summary.json
"""

from __future__ import annotations

from pathlib import Path

from harness.report import html, markdown, plots
from harness.report.targets import check_targets
from harness.summary import Summary

__all__ = ["check_targets", "render_markdown", "write"]
TITLE = "comparison report"


def render_markdown(summary: Summary) -> str:
    """The report as Markdown, from the summary alone."""
    return markdown.render(summary, plots.shown(summary))


def write(summary: Summary, out: Path) -> None:
    """Write plots, report.md and report.html into out."""
    plots.draw(summary, out)
    text = render_markdown(summary)
    (out / "report.md").write_text(text)
    (out / "report.html").write_text(html.render(text, TITLE))
