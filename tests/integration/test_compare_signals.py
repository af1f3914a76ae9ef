"""SIGTERM or SIGHUP to the comparison stops every process it started, as Ctrl-C does."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from harness.processes import ROOT

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_mid_run_leaves_no_process_behind(signum: int, tmp_path: Path) -> None:
    compare = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.compare",
            "--rungs",
            "sync-seq",
            "--results",
            str(tmp_path),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started: set[psutil.Process] = set()
    deadline = time.monotonic() + 60
    try:
        # until the servers are up: redis-server and gunicorn's master and workers
        while time.monotonic() < deadline and not any(
            "gunicorn" in " ".join(p.cmdline()) for p in started if p.is_running()
        ):
            started |= set(psutil.Process(compare.pid).children(recursive=True))
            time.sleep(0.3)
        assert started, "the comparison started nothing"
        compare.send_signal(signum)
        assert compare.wait(timeout=60) != 0
    finally:
        if compare.poll() is None:
            compare.kill()
    _, alive = psutil.wait_procs(list(started), timeout=10)
    assert not alive, [p.cmdline() for p in alive]
