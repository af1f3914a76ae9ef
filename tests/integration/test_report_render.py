"""The curated run's report as a reader opens it: every plot loads in a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.processes import ROOT

pytestmark = pytest.mark.integration

CURATED = sorted((ROOT / "docs" / "results").glob("*/report.html"))
# after the page's load event: how many images, and how many decoded to a real plot
COUNT_IMAGES = """<script>
window.addEventListener("load", () => {
  const images = [...document.images];
  const drawn = images.filter(i => i.complete && i.naturalWidth >= 400 && i.naturalHeight >= 200);
  document.title = `images ${images.length} drawn ${drawn.length}`;
});
</script>"""


def _chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.skip("chromium is not installed (scripts/bootstrap.sh installs it)")
    return found


def _headless(*args: str) -> subprocess.CompletedProcess[str]:
    # as root Chromium runs only without its sandbox
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000"]
    return subprocess.run(
        [_chromium(), *flags, *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("report", CURATED, ids=lambda p: p.parent.name)
def test_every_plot_of_the_report_loads_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    copy = tmp_path / report.parent.name
    shutil.copytree(report.parent, copy)
    page = copy / "report.html"
    page.write_text(page.read_text().replace("</body>", COUNT_IMAGES + "</body>"))
    done = _headless("--dump-dom", page.as_uri())
    found = re.search(r"<title>images (\d+) drawn (\d+)</title>", done.stdout)
    assert found, done.stderr[-2000:]
    images, drawn = int(found[1]), int(found[2])
    referenced = re.findall(r'<img src="([^"]+)"', report.read_text())
    assert images == len(referenced) >= 5
    assert drawn == images, referenced


@pytest.mark.parametrize("report", CURATED, ids=lambda p: p.parent.name)
def test_the_curated_run_keeps_a_screenshot_of_its_first_screen(report: Path) -> None:
    shot = report.parent / "first_screen.png"
    # python -m harness.report.screenshot docs/results/<run>
    assert shot.stat().st_size > 20_000
