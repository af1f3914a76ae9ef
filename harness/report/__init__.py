"""Turn a comparison's summary into report.md, report.html and plots.

Re-render a run without re-running it: python -m harness.report results/<run>/summary.json
"""

from __future__ import annotations

from pathlib import Path

from harness.report import headline, html, markdown
from harness.report.plots import PLOTS, Plot
from harness.report.sweep_plots import SWEEP_PLOTS
from harness.report.targets import check_targets
from harness.summary import Summary

__all__ = ["check_targets", "render_markdown", "write"]


def _shown(summary: Summary) -> list[Plot]:
    return [plot for plot in (*PLOTS, *SWEEP_PLOTS) if plot.shown(summary)]


def shown_plots(summary: Summary) -> list[str]:
    """The plot files a run's report shows."""
    return [plot.file for plot in _shown(summary)]


def render_markdown(summary: Summary) -> str:
    """The report as Markdown, from the summary alone."""
    return markdown.render(summary, shown_plots(summary))


def write(summary: Summary, out: Path) -> None:
    """Write plots, report.md and report.html into out."""
    shown = _shown(summary)
    for plot in shown:
        plot.draw(summary, out / plot.file)
    text = markdown.render(summary, [plot.file for plot in shown])
    (out / "report.md").write_text(text)
    (out / "report.html").write_text(html.render(text, headline.title(summary)))
