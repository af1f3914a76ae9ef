"""Every server's start-up heap leaves the collector's walk (scoring/heap.py says why)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from harness.processes import ROOT
from tests.service.bento_services import bento_services, has_startup_hook

# in a fresh interpreter: frozen objects freed by another thread of the test process
# (left by an earlier test) lower gc.get_freeze_count() between two reads
_FREEZE_CHECK = """
import gc
from typing import Any

from scoring import heap

alive = [object()]
garbage: list[Any] = []
garbage.append(garbage)  # a cycle only the collector frees
marker = id(garbage)
del garbage

frozen = heap.freeze_startup_heap("test")

assert frozen == gc.get_freeze_count() > 0, (frozen, gc.get_freeze_count())
walked = {id(o) for o in gc.get_objects()}
assert id(alive) not in walked  # frozen: no full pass walks it again
assert marker not in walked  # collected first, not frozen for good
"""


def test_freezing_takes_live_objects_out_of_the_collectors_walk() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _FREEZE_CHECK], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "froze " in done.stderr  # the line every server's log shows


@pytest.mark.parametrize("service", bento_services(), ids=lambda s: s.name)
def test_every_bentoml_service_freezes_its_heap_at_startup(service: Any) -> None:
    assert has_startup_hook(service, "freeze_startup_heap")
