"""The fake models: deterministic scores and serial sleeps."""

from __future__ import annotations

import asyncio
import math
import threading
import time

import pytest

from scoring import models
from scoring.settings import Settings

FAST = Settings(model_sleep_min_ms=20, model_sleep_max_ms=20, feature_dim=4)
SLOW = Settings(model_sleep_min_ms=100, model_sleep_max_ms=100, feature_dim=4)


def test_score_is_the_logistic_of_the_dot_product() -> None:
    assert models.score([1.0, 2.0], 0.5, [0.5, -0.25]) == pytest.approx(
        1 / (1 + math.exp(-(0.5 + 0.5 - 0.5)))
    )
    with pytest.raises(ValueError, match="expected 2 features"):
        models.score([1.0, 2.0], 0.0, [1.0])


def test_each_model_has_its_own_fixed_weights() -> None:
    assert models.model_weights("model_a", 4) == models.model_weights("model_a", 4)
    assert models.model_weights("model_a", 4) != models.model_weights("model_b", 4)


def test_sleeping_model_returns_the_expected_scores() -> None:
    vector = [0.1, -0.2, 0.3, -0.4]
    expected = models.expected_scores(vector)
    for name in models.MODEL_NAMES:
        assert models.SleepingModel(name, FAST).predict(vector) == expected[name]


def test_sync_model_is_a_serial_resource() -> None:
    model = models.SleepingModel("model_a", FAST)
    started = time.perf_counter()
    threads = [threading.Thread(target=model.predict, args=([0.0] * 4,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.perf_counter() - started >= 3 * 0.020


async def test_async_model_sleeps_once_per_batch_and_serially_across_batches() -> None:
    model = models.SleepingModel("model_b", FAST)
    slow = models.SleepingModel("model_b", SLOW)
    started = time.perf_counter()
    scores = await slow.predict_batch_async([[0.0] * 4] * 32)
    one_batch = time.perf_counter() - started
    assert len(scores) == 32
    assert one_batch < 5 * 0.100  # one 100 ms sleep, not 32 (wide margin: a noisy machine)

    started = time.perf_counter()
    await asyncio.gather(*(model.predict_batch_async([[0.0] * 4]) for _ in range(3)))
    assert time.perf_counter() - started >= 3 * 0.020


def test_item_cost_adds_to_the_batch_sleep() -> None:
    model = models.SleepingModel("model_a", FAST.model_copy(update={"model_item_cost_ms": 1.0}))
    started = time.perf_counter()
    model.predict_batch([[0.0] * 4] * 30)
    assert time.perf_counter() - started >= 0.020 + 0.030


def test_settings_refuse_an_inverted_sleep_range() -> None:
    with pytest.raises(ValueError, match="must not exceed"):
        Settings(model_sleep_min_ms=50, model_sleep_max_ms=40)


async def test_timed_calls_report_the_wait_for_the_model() -> None:
    model = models.SleepingModel("model_a", FAST)
    results = await asyncio.gather(
        *(model.predict_batch_timed_async([[0.0] * 4]) for _ in range(2))
    )
    waits = sorted(waited for _, waited in results)
    assert waits[1] >= 0.015  # the second call waited for the first
    assert waits[0] < waits[1]


def test_a_call_over_its_budget_gives_up_at_the_budget() -> None:
    model = models.SleepingModel("model_a", SLOW)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"over its 0\.02 s budget"):
        model.predict([0.0] * 4, timeout_s=0.02)
    # it slept its budget, not the 100 ms the call would have taken
    assert 0.02 <= time.monotonic() - started < 0.1
    # and released the model for the next call
    assert model.predict([0.0] * 4, timeout_s=1.0) == models.expected_scores([0.0] * 4)["model_a"]


def test_a_call_that_cannot_get_the_model_in_its_budget_gives_up() -> None:
    model = models.SleepingModel("model_a", SLOW)
    busy = threading.Thread(target=model.predict, args=([0.0] * 4,))
    busy.start()
    time.sleep(0.01)
    with pytest.raises(TimeoutError, match="model busy"):
        model.predict([0.0] * 4, timeout_s=0.02)
    busy.join()


@pytest.mark.parametrize("scale", [1e3, 1e30, -1e30, 3e38, -3e38])
def test_scores_of_extreme_finite_vectors_do_not_overflow(scale: float) -> None:
    weights, bias = models.model_weights("model_a", 16)
    value = models.score(weights, bias, [scale] * 16)
    assert 0.0 <= value <= 1.0
