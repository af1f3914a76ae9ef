"""The shared core stays free of both serving frameworks."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.integration  # a fresh interpreter
def test_core_imports_neither_bentoml_nor_flask() -> None:
    code = (
        "import sys, scoring.contract, scoring.vectors, scoring.redis_store, scoring.models, "
        "scoring.seed, scoring.settings, scoring.envcheck, scoring.metrics, scoring.timing, "
        "scoring.batcher, scoring.profiling\n"
        "leaked = {'bentoml', 'flask', 'starlette'} & set(sys.modules)\n"
        "assert not leaked, leaked"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
