"""Per-request server-side profiles (pyinstrument), on only when SCORING_PROFILE_DIR is set."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from pyinstrument import Profiler

from scoring.settings import settings

_sequence = itertools.count()


def profile_dir() -> Path | None:
    """Return where profiles go, or None when profiling is off (the default)."""
    return settings.profile_dir


def start(async_mode: bool) -> Profiler:
    """Start profiling one request; with async_mode it follows the request across awaits."""
    # strict: time spent running other requests is not charged to this one
    profiler = Profiler(interval=0.0005, async_mode="strict" if async_mode else "disabled")
    profiler.start()
    return profiler


def finish(profiler: Profiler, directory: Path) -> None:
    """Stop profiling and save the request's session for harness.profile to combine."""
    session = profiler.stop()
    directory.mkdir(parents=True, exist_ok=True)
    session.save(str(directory / f"{os.getpid()}-{next(_sequence):06d}.pyisession"))
