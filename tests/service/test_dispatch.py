"""The adjustment to BentoML's dispatcher: no learned hold, the fit kept, keyed on its source."""

from __future__ import annotations

import hashlib
from pathlib import Path

import bentoml
import pytest
from bentoml._internal.marshal import dispatcher
from bentoml._internal.marshal.dispatcher import Optimizer

from service.dispatch import (
    CHECKED_DISPATCHER_SHA256,
    DispatcherChanged,
    dispatcher_sha256,
    drop_learned_hold,
)


def _trained(optimizer: Optimizer) -> Optimizer:
    # past the samples BentoML skips, batches of 1 to 4 that each waited 200 ms
    for n in [1] * (optimizer.N_SKIPPED_SAMPLE + 1) + [1, 2, 3, 4] * 3:
        optimizer.log_outbound(n=n, wait=0.2, duration=0.045 + 0.001 * n)
    optimizer.trigger_refresh()  # type: ignore[no-untyped-call]
    return optimizer


def test_the_installed_dispatcher_is_the_one_checked() -> None:
    assert bentoml.__version__ == "1.4.40"  # the pinned release
    source = Path(dispatcher.__file__).read_bytes()
    assert hashlib.sha256(source).hexdigest() == CHECKED_DISPATCHER_SHA256
    assert dispatcher_sha256() == CHECKED_DISPATCHER_SHA256


def test_bentoml_learns_a_hold_from_its_own_waits_and_the_adjustment_drops_it() -> None:
    drop_learned_hold()
    optimizer = _trained(Optimizer(max_latency=1.0))
    assert optimizer.wait == 0.0  # never holds a batch open on purpose
    assert optimizer.o_a == pytest.approx(0.001, rel=0.05)  # the fit of a and b stays
    assert optimizer.o_b == pytest.approx(0.045, rel=0.05)
    closure = Optimizer.trigger_refresh.__closure__ or ()
    original = closure[0].cell_contents
    original(optimizer)  # BentoML's own refresh: the mean of past waits
    assert optimizer.wait == pytest.approx(0.2)


def test_a_changed_dispatcher_is_refused_with_one_line() -> None:
    drop_learned_hold(CHECKED_DISPATCHER_SHA256)  # applied once, however often it is asked for
    with pytest.raises(DispatcherChanged) as refused:
        drop_learned_hold(hashlib.sha256(b"another dispatcher").hexdigest())
    message = str(refused.value)
    assert "\n" not in message
    assert "dispatcher.py changed" in message and "service/dispatch.py" in message
