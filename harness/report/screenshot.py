"""The first screen of a run's report, as a reader's browser shows it.

python -m harness.report.screenshot docs/results/<run>   (needs chromium)
writes <run>/first_screen.png: what the report opens with, at 1280 x 900.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

WINDOW = "1280,900"


def screenshot(run_dir: Path) -> Path:
    """Open run_dir/report.html in headless Chromium and save its first screen."""
    browser = shutil.which("chromium")
    if browser is None:
        raise FileNotFoundError("chromium is not installed (scripts/bootstrap.sh installs it)")
    shot = run_dir / "first_screen.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",  # as root Chromium runs only without its sandbox
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size={WINDOW}",
            f"--screenshot={shot}",
            (run_dir / "report.html").resolve().as_uri(),
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return shot


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run_dir", type=Path, help="a folder holding report.html")
    args = parser.parse_args(argv)
    try:
        print(screenshot(args.run_dir))
    except (FileNotFoundError, subprocess.CalledProcessError) as error:
        print(f"screenshot: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
