"""--model-cost's forms: a line, a measured table fitted to its line, a named profile."""

from __future__ import annotations

import argparse
import math

import pytest

from harness import model_cost
from harness.model_cost import ModelCost


def test_a_table_is_fitted_to_its_least_squares_line() -> None:
    cost = model_cost.parse("1:45.5,32:61,128:109")
    assert cost.per_item_ms == pytest.approx(0.5, abs=0.01)
    assert cost.base_ms == pytest.approx(45, abs=0.3)
    exact = model_cost.fit({1: 46.0, 10: 55.0, 100: 145.0})
    assert (exact.base_ms, exact.per_item_ms) == pytest.approx((45.0, 1.0))


def test_a_table_that_falls_with_batch_size_costs_nothing_per_item() -> None:
    # never a negative sleep: a curve that falls is flat at its mean
    assert model_cost.fit({1: 50.0, 128: 40.0}) == ModelCost(45.0, 0.0)


@pytest.mark.parametrize(
    "text", ["1:45", "1:45,1:50", "0:45,8:50", "1:45,8:nan", "1:45,8:-1", "1:45,8", "a:1,2:3"]
)
def test_a_table_it_cannot_fit_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="table of batch size to ms"):
        model_cost.parse(text)


def test_each_profile_is_named_on_the_command_line_and_keeps_the_base() -> None:
    for name, profile in model_cost.PROFILES.items():
        assert model_cost.parse(name) == profile.cost
        assert profile.cost.base_ms == model_cost.BASE_MS
        assert profile.source
    assert model_cost.PROFILES["flat"].cost.ceiling == math.inf
    assert model_cost.PROFILES["accelerator"].cost.ceiling == pytest.approx(3.3)
    # a CPU model batches least: its ceiling is the lowest
    ceilings = [p.cost.ceiling for p in model_cost.PROFILES.values()]
    assert model_cost.PROFILES["cpu"].cost.ceiling == min(ceilings)


def test_the_cpu_profile_gains_what_its_measured_table_gains_at_its_largest_batch() -> None:
    largest, measured = model_cost.gain(model_cost.CPU_MLP_MS)
    cpu = model_cost.PROFILES["cpu"].cost
    per_item_of_one, per_item_of_largest = cpu.batch_ms(1), cpu.batch_ms(largest) / largest
    assert per_item_of_one / per_item_of_largest == pytest.approx(measured)
    assert 1 < measured < 4  # a dense CPU model: close to linear in the batch
