"""The queueing models the report holds against the sweeps."""

from __future__ import annotations

import math

import pytest

from harness.report.queueing import Batcher, WorkerPool, erlang_c, marginal_cpu_s
from tests.harness.test_report import step


def test_erlang_c_matches_known_values() -> None:
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: the wait probability is rho
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(5, 5.0) == 1.0


def test_a_worker_pool_waits_little_when_idle_and_without_bound_at_capacity() -> None:
    pool = WorkerPool(servers=5, service_s=0.09, outside_s=0.002)
    assert pool.capacity_rps == pytest.approx(5 / 0.09)
    assert pool.mean_latency_ms(1) == pytest.approx(92, abs=0.5)
    assert pool.mean_latency_ms(50) > pool.mean_latency_ms(40) > pool.mean_latency_ms(10)
    assert math.isinf(pool.mean_latency_ms(60))


def test_a_batcher_rides_the_next_batch_and_grows_its_batches_with_load() -> None:
    batcher = Batcher(batch_s=0.05, cpu_s=0.001, outside_s=0.0)
    assert batcher.capacity_rps == 1000
    # nearly idle: a batch of one, rarely a batch in flight
    assert batcher.mean_latency_ms(0.1) == pytest.approx(50, abs=1)
    # busy: the wait for the batch in flight is half a batch
    assert batcher.mean_latency_ms(500) == pytest.approx(1.5 * 100)
    assert math.isinf(batcher.mean_latency_ms(1000))


def test_a_model_cost_per_item_lengthens_each_batch_by_what_it_holds() -> None:
    flat = Batcher(batch_s=0.05, cpu_s=0.001, outside_s=0.0)
    costly = Batcher(batch_s=0.05, cpu_s=0.001, outside_s=0.0, item_s=0.019)
    assert costly.capacity_rps == pytest.approx(1 / 0.02)  # 1 / (CPU + model) per request
    # at 25 rps a batch holds 25 x B requests: B = M / (1 - 25 x 0.02) = 2 M
    assert costly.batch_time_s(25) == pytest.approx(0.1)
    assert flat.batch_time_s(25) == pytest.approx(0.05 / 0.975)
    assert math.isinf(costly.mean_latency_ms(50))


def test_the_marginal_cpu_leaves_out_the_idle_cost() -> None:
    points = [step(1, rps, 100) for rps in (10, 100, 200)]
    for s, cores in zip(points, (0.3, 0.39, 0.49), strict=True):
        s["server_cpu_cores"] = cores  # 0.29 cores idle, then 1 ms per request
    assert marginal_cpu_s(points) == pytest.approx(0.001)
