"""Open-loop load: the Poisson schedule, the rate sweep, and what an open-loop step reports."""

from __future__ import annotations

import itertools
import random
import statistics

import gevent
import pytest

from loadgen import openloop, windows
from loadgen.openloop import Schedule
from loadgen.sweep import Sweep


def test_the_schedule_sends_poisson_arrivals_at_the_rate_whatever_the_answers_do() -> None:
    schedule = Schedule()
    schedule.set_rate(400, users=2)  # this schedule's share: 200/s
    launched: list[float] = []

    def slow_send(at: float) -> None:
        launched.append(at)
        gevent.sleep(0.5)  # answers far slower than arrivals: the schedule does not wait

    runner = gevent.spawn(schedule.run, slow_send, random.Random(7))
    gevent.sleep(0.5)
    in_flight = schedule.in_flight
    runner.kill()
    schedule.stop()
    gaps = [b - a for a, b in itertools.pairwise(launched)]
    assert 70 <= len(launched) <= 130  # 100 expected
    assert in_flight > 40  # open loop: nothing waited for an answer
    # exponential gaps: the standard deviation is about the mean
    assert 0.7 < statistics.stdev(gaps) / statistics.mean(gaps) < 1.3


def test_the_sweep_rises_until_the_slo_breaks_then_bisects() -> None:
    sweep, capacity = Sweep(start=25, factor=2, bisections=2), 130.0
    rates = []
    while (rate := sweep.next_rate()) is not None:
        rates.append(rate)
        sweep.record(rate, rate <= capacity)
    assert rates[:4] == [25, 50, 100, 200]
    assert len(rates) == 6  # two points between 100 and 200
    assert sweep.capacity is not None and 100 <= sweep.capacity <= capacity


def test_a_sweep_whose_first_rate_breaks_falls_until_one_holds() -> None:
    sweep = Sweep(start=100, factor=2, bisections=1)
    rates = []
    while (rate := sweep.next_rate()) is not None:
        rates.append(rate)
        sweep.record(rate, rate <= 30)
    assert rates[:3] == [100, 50, 25]
    assert sweep.capacity == pytest.approx(25)


def test_an_invalid_point_is_measured_again_and_twice_ends_the_sweep() -> None:
    sweep = Sweep(start=25, factor=2, bisections=2)
    assert sweep.next_rate() == 25
    sweep.record(25, True)
    assert sweep.next_rate() == 50
    sweep.invalid(50)  # the generator fell behind: once more
    assert sweep.next_rate() == 50
    sweep.record(50, True)  # the retry held: the sweep goes on
    assert sweep.next_rate() == 100
    sweep.invalid(100)
    assert sweep.next_rate() == 100
    sweep.invalid(100)  # twice: the generator is the limit
    assert sweep.next_rate() is None
    assert sweep.capacity == 50 and sweep.generator_limit == 100


def _window(
    latencies: list[float], lateness: list[float], ok: int, sent: list[float] | None = None
) -> windows.Window:
    """Answers with these latencies from the schedule (and from the actual send, if given)."""
    window = windows.Window(started=0.0, ended=2.0)
    window.scheduled_ms = latencies
    window.ok_scheduled_ms = latencies[:ok]
    window.lateness_ms = lateness
    window.scheduled = len(lateness)
    window.latencies_ms = latencies if sent is None else sent
    return window


def test_an_open_loop_step_reports_latency_from_the_schedule_and_goodput() -> None:
    latencies = [100.0] * 98 + [300.0] * 2
    step = openloop.summarize([_window(latencies, [1.0] * 100, ok=100)], 50, 250, 0.1)
    assert step["p50_ms"] == 100 and step["p99_ms"] == 300
    assert step["goodput_rps"] == pytest.approx(98 / 2)
    assert step["sent_rps"] == step["scheduled_rps"] == 50
    assert step["valid"] and not step["meets_slo"]  # p99 300 ms > 250
    assert step["quantiles_ms"]["0"] == 100 and step["quantiles_ms"]["100"] == 300


@pytest.mark.parametrize(
    ("lateness", "cores", "reason"),
    [([1.0] * 98 + [40.0] * 2, 0.1, "launch delay"), ([1.0] * 100, 0.95, "cores")],
)
def test_a_generator_behind_its_schedule_makes_the_step_invalid(
    lateness: list[float], cores: float, reason: str
) -> None:
    step = openloop.summarize([_window([100.0] * 100, lateness, ok=100)], 50, 250, cores)
    assert not step["valid"] and not step["meets_slo"]
    assert reason in (step["invalid_reason"] or "")


LATE = [1.0] * 490 + [60.0] * 10  # launch delay p99 60 ms, over 10% of a 250 ms SLO


@pytest.mark.parametrize(
    ("scheduled", "sent", "verdict"),
    [
        ([100.0] * 500, [90.0] * 500, "meets"),  # within the SLO with the delays counted
        ([330.0] * 500, [300.0] * 500, "fails"),  # over it with the delays left out
    ],
)
def test_a_late_generator_still_decides_what_its_delays_cannot_change(
    scheduled: list[float], sent: list[float], verdict: str
) -> None:
    step = openloop.summarize([_window(scheduled, LATE, ok=500, sent=sent)], 250, 250, 0.3)
    assert step["late_p99_ms"] == 60
    assert step["valid"] and step["invalid_reason"] is None
    assert step["verdict"] == verdict and step["meets_slo"] == (verdict == "meets")
    assert step["p99_sent_ms"] == sent[0]


def test_a_miss_the_delays_could_explain_stays_invalid() -> None:
    # over the SLO from the schedule, within it from the actual send: the generator's doing
    step = openloop.summarize(
        [_window([300.0] * 500, LATE, ok=500, sent=[240.0] * 500)], 250, 250, 0.3
    )
    assert not step["valid"] and "launch delay" in (step["invalid_reason"] or "")
    assert step["p99_sent_low_ms"] == 240
