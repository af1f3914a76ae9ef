"""BentoML's adaptive batcher without its learned hold: a tested adjustment pinned to 1.4.39.

BentoML's CorkDispatcher holds a batch open while `calls * (wait of the newest
+ a) <= 0.95 * mean of its own past waits`. That mean is learned from the
waits the hold itself makes, so it sustains itself: after heavy load a lone
request waited about 190 ms for a 45 ms model (the shipped target, whose entry
workers each keep two batches out, measured it in the comparison). No 1.4
setting changes the hold. With the learned wait kept at 0 the dispatcher still
merges every call that queued while a batch was running (it runs one batch at
a time), still fits duration = a * n + b and still sheds what would miss
max_latency_ms: it batches continuously, never waiting on purpose.

SCORING_MODEL_BATCH_HOLD=learned keeps BentoML's behaviour, for the rung that
shows BentoML as its docs do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import bentoml
from bentoml._internal.marshal import dispatcher

PINNED_RELEASE = "1.4.39"


def drop_learned_hold(version: str = bentoml.__version__) -> None:
    """Keep every CorkDispatcher's learned wait at 0, on the release this was checked on."""
    if version != PINNED_RELEASE:
        raise RuntimeError(
            f"service/dispatch.py adjusts BentoML {PINNED_RELEASE}'s dispatcher and BentoML is "
            f"{version}: check bentoml/_internal/marshal/dispatcher.py, then update the pin"
        )
    optimizer = dispatcher.Optimizer
    if getattr(optimizer.trigger_refresh, "drops_learned_hold", False):
        return
    refresh: Callable[[Any], None] = optimizer.trigger_refresh

    def refresh_without_hold(self: Any) -> None:
        refresh(self)
        self.wait = 0.0  # the fit of a and b stays; the mean of past waits does not

    refresh_without_hold.drops_learned_hold = True  # type: ignore[attr-defined]
    optimizer.trigger_refresh = refresh_without_hold  # type: ignore[method-assign]
