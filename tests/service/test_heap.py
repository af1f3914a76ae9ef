"""Every server's start-up heap leaves the collector's walk (scoring/heap.py says why)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from scoring import heap
from tests.service.bento_services import bento_services, has_startup_hook


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the test process's heap back where the collector walks it


@pytest.mark.usefixtures("unfrozen")
def test_freezing_takes_live_objects_out_of_the_collectors_walk() -> None:
    alive = [object()]
    garbage: list[Any] = []
    garbage.append(garbage)  # a cycle only the collector frees
    marker = id(garbage)
    del garbage

    frozen = heap.freeze_startup_heap("test")

    assert frozen == gc.get_freeze_count() > 0
    walked = {id(o) for o in gc.get_objects()}
    assert id(alive) not in walked  # frozen: no full pass walks it again
    assert marker not in walked  # collected first, not frozen for good


@pytest.mark.parametrize("service", bento_services(), ids=lambda s: s.name)
def test_every_bentoml_service_freezes_its_heap_at_startup(service: Any) -> None:
    assert has_startup_hook(service, "freeze_startup_heap")
