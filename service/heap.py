"""The start-up heap frozen in every BentoML service's worker (scoring/heap.py says why)."""

from __future__ import annotations

import bentoml

from scoring import heap


class FrozenStartupHeap:
    """A mixin: once the worker has started, its start-up objects leave the collector's walk."""

    @bentoml.on_startup
    def freeze_startup_heap(self) -> None:
        heap.freeze_startup_heap(type(self).__name__)
