"""Re-render a run's report from its summary.json: python -m harness.report <summary.json>."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import report, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.report", description=__doc__)
    parser.add_argument("summary", type=Path, help="a run's summary.json")
    parser.add_argument("--out", type=Path, help="write here (default: beside summary.json)")
    args = parser.parse_args(argv)
    if not args.summary.is_file():
        parser.error(f"{args.summary}: no such file")
    run = summary.load(args.summary)
    # the targets are judged again, so that a change in their wording reaches old runs
    run["targets"] = report.check_targets(run)
    out = args.out or args.summary.parent
    out.mkdir(parents=True, exist_ok=True)
    report.write(run, out)
    print(f"wrote {out / 'report.md'}, {out / 'report.html'} and plots", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
