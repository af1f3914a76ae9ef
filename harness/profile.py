"""Profile one request and a short burst on each target: python -m harness.profile --help.

Each target runs with SCORING_PROFILE_DIR set, so its server saves a
pyinstrument session per request; this combines them into HTML pages
(results/profiles/<target>/one.html and burst.html) and prints where the time went.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import shutil
import tempfile
import time
from pathlib import Path

from pyinstrument.renderers import ConsoleRenderer, HTMLRenderer
from pyinstrument.session import Session

from harness import load, processes
from harness.ladder import BY_NAME, start_rung
from harness.store import feature_store
from scoring.settings import Settings, as_environment, settings

DEFAULT_TARGETS = ("sync-seq", "async-batched-hop", "async-edge", "bare-starlette")


def _combined(directory: Path, expected: int, timeout_s: float = 10.0) -> Session | None:
    # a server saves a request's session just after answering it
    deadline = time.monotonic() + timeout_s
    while len(list(directory.glob("*.pyisession"))) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    sessions = [Session.load(str(p)) for p in sorted(directory.glob("*.pyisession"))]
    if not sessions:
        return None
    combined = sessions[0]
    for session in sessions[1:]:
        combined = Session.combine(combined, session)
    return combined


def profile_target(name: str, redis_url: str, out: Path, burst: int) -> dict[str, Path]:
    """Serve one rung with profiling on; profile one request, then a burst."""
    rung = BY_NAME[name]
    sessions = Path(tempfile.mkdtemp(prefix=f"profile-{name}-"))
    on = as_environment(Settings, profile_dir=sessions)
    profiled = dataclasses.replace(rung, env={**rung.env, **on})
    target_dir = out / name
    target_dir.mkdir(parents=True, exist_ok=True)
    pages: dict[str, Path] = {}
    with processes.running(start_rung(profiled, redis_url, target_dir)) as server:
        asyncio.run(load.burst(server.url, 5))  # warm-up, not profiled below
        time.sleep(1)
        for phase, count in (("one", 1), ("burst", burst)):
            shutil.rmtree(sessions, ignore_errors=True)
            statuses = [a.status for a in asyncio.run(load.burst(server.url, count))]
            session = _combined(sessions, count)
            if session is None:
                raise RuntimeError(f"{name}: no profile was saved ({statuses})")
            page = target_dir / f"{phase}.html"
            page.write_text(HTMLRenderer().render(session))
            pages[phase] = page
            print(f"\n=== {name}: {phase} ({count} request(s), statuses {set(statuses)})")
            print(
                ConsoleRenderer(unicode=True, color=False, short_mode=True, show_all=False).render(
                    session
                )[:3000]
            )
    shutil.rmtree(sessions, ignore_errors=True)
    return pages


def main(argv: list[str] | None = None) -> int:
    """Profile each target and print the heaviest call paths."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--targets", default=",".join(DEFAULT_TARGETS), help="rungs of harness.compare to profile"
    )
    parser.add_argument("--burst", type=int, default=100, help="concurrent requests")
    parser.add_argument("--out", type=Path, default=processes.ROOT / "results" / "profiles")
    args = parser.parse_args(argv)
    with feature_store(args.out, settings.entities) as redis_url:
        for name in args.targets.split(","):
            pages = profile_target(name, redis_url, args.out, args.burst)
            print(f"{name}: " + ", ".join(str(p) for p in pages.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
