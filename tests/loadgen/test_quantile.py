"""The order-statistic interval of a percentile, and the verdict a sweep point gets from it."""

from __future__ import annotations

import math
import random

import pytest

from loadgen import openloop, quantile, windows
from loadgen.sweep import Sweep


def _below(n: int, k: int, q: float) -> float:
    """P(X < k) for X ~ Binomial(n, q): fewer than k samples under the true q-quantile."""
    return sum(math.comb(n, i) * q**i * (1 - q) ** (n - i) for i in range(k))


def test_the_interval_is_the_equal_tailed_binomial_one_by_rank() -> None:
    values = [float(v) for v in range(1, 1001)]  # each order statistic's value is its rank
    low, high = quantile.bounds(values, 0.99)
    lower, upper = int(low), int(high)
    assert 980 <= lower < 990 < upper <= 1000
    # the lowest rank as high as it can go with at most 2.5% of the mass below it...
    assert _below(1000, lower, 0.99) <= 0.025 < _below(1000, lower + 1, 0.99)
    # ... and the highest as low as it can go with at most 2.5% at or above it
    assert 1 - _below(1000, upper, 0.99) <= 0.025 < 1 - _below(1000, upper - 1, 0.99)


def test_too_few_samples_leave_the_upper_side_unbounded() -> None:
    fewest = quantile.fewest_samples(0.99)
    assert 0.99**fewest <= 0.025 < 0.99 ** (fewest - 1)
    assert quantile.bounds([1.0] * (fewest - 1), 0.99)[1] == math.inf
    assert quantile.bounds([1.0] * fewest, 0.99)[1] == 1.0
    assert quantile.bounds([], 0.99) == (-math.inf, math.inf)


def test_the_interval_holds_the_true_p99_about_95_times_in_100() -> None:
    rng, true_p99, held = random.Random(7), -50 * math.log(0.01), 0
    for _ in range(400):
        low, high = quantile.bounds([rng.expovariate(1 / 50) for _ in range(800)], 0.99)
        held += low <= true_p99 <= high
    assert 0.92 <= held / 400 <= 0.99


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [
        (100, 240, "meets"),
        (260, 400, "fails"),
        (200, 300, "undecided"),
        (200, math.inf, "undecided"),
    ],
)
def test_a_verdict_is_decided_only_when_the_interval_is_on_one_side(
    low: float, high: float, verdict: str
) -> None:
    assert quantile.verdict(low, high, 250) == verdict


def _window(latencies: list[float]) -> windows.Window:
    window = windows.Window(started=0.0, ended=10.0)
    window.scheduled_ms = window.ok_scheduled_ms = window.latencies_ms = latencies
    window.lateness_ms = [1.0] * len(latencies)
    window.scheduled = len(latencies)
    return window


def test_a_point_meets_the_slo_only_when_decided() -> None:
    few = openloop.summarize([_window([100.0] * 200)], 20, 250, 0.1)
    assert few["verdict"] == "undecided" and few["p99_high_ms"] is None and few["samples"] == 200
    assert not few["meets_slo"] and openloop.within_slo(few, 250)  # the sweep goes on
    many = openloop.summarize([_window([100.0] * 500)], 50, 250, 0.1)
    assert many["verdict"] == "meets" and many["meets_slo"] and many["p99_high_ms"] == 100
    over = openloop.summarize([_window([100.0] * 450 + [400.0] * 50)], 50, 250, 0.1)
    assert over["verdict"] == "fails" and not openloop.within_slo(over, 250)


def test_capacity_is_the_highest_rate_decided_within_the_slo() -> None:
    sweep = Sweep(start=25, factor=2, bisections=1)
    assert sweep.next_rate() == 25
    sweep.record(25, True, decided=False)  # too few answers to decide: rise anyway
    assert sweep.next_rate() == 50 and sweep.capacity is None
    sweep.record(50, True)
    sweep.record(100, True, decided=False)  # near the SLO, undecided at the cap
    sweep.record(200, False)
    assert sweep.capacity == 50 and sweep.good == 100
