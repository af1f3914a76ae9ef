"""Turn a comparison's summary into report.md, report.html and plots.

Re-render a run without re-running it: python -m harness.report results/<run>/summary.json
"""

from __future__ import annotations

from pathlib import Path

from harness.report import headline, html, markdown, targets
from harness.report.load_plots import LOAD_PLOTS
from harness.report.plots import PLOTS, Plot
from harness.report.run import Run
from harness.report.sweep_plots import SWEEP_PLOTS
from harness.summary import Summary, Target

__all__ = ["check_targets", "render_markdown", "write"]


def _shown(run: Run) -> list[Plot]:
    return [plot for plot in (*PLOTS, *SWEEP_PLOTS, *LOAD_PLOTS) if plot.shown(run)]


def shown_plots(summary: Summary) -> list[str]:
    """The plot files a run's report shows."""
    return [plot.file for plot in _shown(Run(summary))]


def render_markdown(summary: Summary) -> str:
    """The report as Markdown, from the summary alone."""
    return markdown.render(Run(summary), shown_plots(summary))


def check_targets(summary: Summary) -> list[Target]:
    """Judge the run against every target it measured, then the SLO gates and soaks."""
    return targets.check_targets(Run(summary))


def write(summary: Summary, out: Path) -> None:
    """Write plots, report.md and report.html into out."""
    run = Run(summary)
    shown = _shown(run)
    for plot in shown:
        plot.draw(run, out / plot.file)
    text = markdown.render(run, [plot.file for plot in shown])
    (out / "report.md").write_text(text)
    (out / "report.html").write_text(html.render(text, headline.title(run)))
