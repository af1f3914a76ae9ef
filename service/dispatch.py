"""BentoML's adaptive batcher without its learned hold: an adjustment keyed on the code it adjusts.

BentoML's CorkDispatcher holds a batch open while `calls * (wait of the newest
+ a) <= 0.95 * mean of its own past waits`. That mean is learned from the
waits the hold itself makes, so it sustains itself: after heavy load a lone
request waited about 190 ms for a 45 ms model (measured in the comparison).
No 1.4 setting changes the hold. With the learned wait kept at 0 the
dispatcher still merges every call that queued while a batch was running (it
runs one batch at a time), still fits duration = a * n + b and still sheds
what would miss max_latency_ms: it batches continuously, never waiting on
purpose.

The adjustment is checked against the dispatcher's source, not a version
string: BentoML 1.4.39 and 1.4.40 ship the same dispatcher.py, and a release
that changes it stops the model service with one line saying what to check.

SCORING_MODEL_BATCH_HOLD=learned keeps BentoML's behaviour, for the rung that
shows BentoML as its docs do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bentoml._internal.marshal import dispatcher

from service.checked_source import source_sha256

# sha256 of bentoml/_internal/marshal/dispatcher.py in BentoML 1.4.39 and 1.4.40
CHECKED_DISPATCHER_SHA256 = "1ae10835e7cb877cd9dafb7500e7d2e17befc1ed6d1ccf9cc0bd9bb7ad216a51"


class DispatcherChanged(RuntimeError):
    """BentoML's dispatcher is not the code the adjustment was checked against."""


def dispatcher_sha256() -> str:
    """Return the sha256 of BentoML's dispatcher.py."""
    return source_sha256(dispatcher)


def drop_learned_hold(source_sha256: str | None = None) -> None:
    """Keep every CorkDispatcher's learned wait at 0, if its code is the one checked."""
    found = source_sha256 or dispatcher_sha256()
    if found != CHECKED_DISPATCHER_SHA256:
        raise DispatcherChanged(
            f"BentoML's dispatcher.py changed (sha256 {found[:12]}, checked "
            f"{CHECKED_DISPATCHER_SHA256[:12]}): re-check service/dispatch.py against it, "
            "or set SCORING_MODEL_BATCH_HOLD=learned"
        )
    optimizer = dispatcher.Optimizer
    if getattr(optimizer.trigger_refresh, "drops_learned_hold", False):
        return
    refresh: Callable[[Any], None] = optimizer.trigger_refresh

    def refresh_without_hold(self: Any) -> None:
        refresh(self)
        self.wait = 0.0  # the fit of a and b stays; the mean of past waits does not

    # the marker and the assignment patch a class BentoML leaves untyped
    refresh_without_hold.drops_learned_hold = True  # type: ignore[attr-defined]
    optimizer.trigger_refresh = refresh_without_hold  # type: ignore[method-assign]
