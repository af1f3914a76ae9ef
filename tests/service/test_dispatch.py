"""The adjustment to BentoML's dispatcher: no learned hold, the fit kept, pinned to 1.4.39."""

from __future__ import annotations

import pytest
from bentoml._internal.marshal.dispatcher import Optimizer

from service.dispatch import PINNED_RELEASE, drop_learned_hold


def _trained(optimizer: Optimizer) -> Optimizer:
    # past the samples BentoML skips, batches of 1 to 4 that each waited 200 ms
    for n in [1] * (optimizer.N_SKIPPED_SAMPLE + 1) + [1, 2, 3, 4] * 3:
        optimizer.log_outbound(n=n, wait=0.2, duration=0.045 + 0.001 * n)
    optimizer.trigger_refresh()  # type: ignore[no-untyped-call]
    return optimizer


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


def test_the_adjustment_refuses_another_bentoml_release() -> None:
    drop_learned_hold(PINNED_RELEASE)  # applied once, however often it is asked for
    with pytest.raises(RuntimeError, match="update the pin"):
        drop_learned_hold("1.4.40")
