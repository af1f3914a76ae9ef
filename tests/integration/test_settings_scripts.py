"""A misspelt setting stops every entry script before it starts anything, naming the field."""

from __future__ import annotations

import os
import subprocess

import pytest

from harness.processes import ROOT

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("script", ["serve_sync.sh", "serve_bento.sh", "compare.sh"])
@pytest.mark.parametrize(
    ("variable", "closest"),
    [("SCORING_MODEL_BATCHR", "SCORING_MODEL_BATCHER"), ("SYNC_WORKRS", "SYNC_WORKERS")],
)
def test_a_misspelt_variable_stops_the_script(script: str, variable: str, closest: str) -> None:
    done = subprocess.run(
        [str(ROOT / "scripts" / script)],
        env={**os.environ, variable: "continuous", "PORT": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{variable} is not a setting; did you mean {closest}?" in done.stderr
    assert "Traceback" not in done.stderr


def test_gunicorn_started_directly_refuses_a_value_that_cannot_work() -> None:
    done = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            "sync_baseline/gunicorn.conf.py",
            "--bind",
            "127.0.0.1:1",
        ],
        cwd=ROOT,
        env={**os.environ, "SYNC_WORKERS": "0"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "settings: SYNC_WORKERS: Input should be greater than or equal to 1" in done.stderr
