"""Step statistics, stability, breaking-point rules and the server probe's readings."""

from __future__ import annotations

import math
from typing import cast

import pytest

from loadgen import probe, windows
from loadgen.steplog import Step


def window(
    rps: float, latencies: list[float], statuses: dict[int, int] | None = None
) -> windows.Window:
    w = windows.Window(started=0.0, ended=len(latencies) / rps if rps else 1.0)
    recorder = windows.Recorder()
    recorder.window = w
    codes = [c for c, n in (statuses or {200: len(latencies)}).items() for _ in range(n)]
    for latency, code in zip(latencies, codes, strict=True):
        recorder.record(
            code, latency, code == 200, "redis;dur=1.00, model;dur=45.00, total;dur=47.00"
        )
    return w


def test_percentile_by_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert windows.percentile(values, 50) == 50
    assert windows.percentile(values, 95) == 95
    assert windows.percentile(values, 100) == 100
    assert math.isnan(windows.percentile([], 50))


def test_stability_needs_two_windows_within_tolerance() -> None:
    assert not windows.is_stable([window(100, [10.0] * 100)], 0.1)
    assert windows.is_stable([window(100, [10.0] * 100), window(95, [10.0] * 95)], 0.1)
    assert not windows.is_stable([window(100, [10.0] * 100), window(80, [10.0] * 80)], 0.1)


def test_summary_counts_errors_by_status_and_averages_server_timing() -> None:
    step = windows.summarize(10, [window(10, [10.0] * 8 + [500.0] * 2, {200: 8, 503: 2})])
    assert step["requests"] == 10
    assert step["failures"] == 2
    assert step["error_rate"] == pytest.approx(0.2)
    assert step["statuses"] == {"200": 8, "503": 2}
    assert step["server_timing_ms"] == {"redis": 1.0, "model": 45.0, "total": 47.0}
    assert step["p50_ms"] == 10.0
    assert step["p99_ms"] == 500.0


@pytest.mark.parametrize(
    ("previous_rps", "rps", "p95", "errors", "expected"),
    [
        (100, 150, 100, 0.0, None),
        (100, 103, 100, 0.0, "throughput gained"),
        (100, 150, 1500, 0.0, "p95"),
        (100, 150, 100, 0.02, "errors"),
    ],
)
def test_breaking_point_rules(
    previous_rps: float, rps: float, p95: float, errors: float, expected: str | None
) -> None:
    previous = cast(Step, {"users": 10, "rps": previous_rps})
    current = cast(Step, {"users": 20, "rps": rps, "p95_ms": p95, "error_rate": errors})
    reason = windows.breaking_reason(previous, current, slo_p95_ms=1000)
    assert reason is None if expected is None else expected in (reason or "")


def test_histogram_totals_add_every_worker_and_filter_by_label() -> None:
    text = (
        "# TYPE scoring_model_batch_size histogram\n"
        'scoring_model_batch_size_sum{model="model_a",worker="1"} 40.0\n'
        'scoring_model_batch_size_sum{model="model_a",worker="2"} 2.0\n'
        'scoring_model_batch_size_sum{model="model_b",worker="1"} 99.0\n'
        'scoring_model_batch_size_count{model="model_a",worker="1"} 4.0\n'
        "# TYPE scoring_edge_batch_size histogram\n"
        "scoring_edge_batch_size_sum 12.0\n"
        "scoring_edge_batch_size_count 3.0\n"
    )
    assert probe.histogram_totals(text, "scoring_model_batch_size", {"model": "model_a"}) == (
        42.0,
        4.0,
    )
    assert probe.histogram_totals(text, "scoring_edge_batch_size") == (12.0, 3.0)
    assert probe.histogram_totals(text, "scoring_bare_batch_size") == (0.0, 0.0)


def test_a_workers_answers_merge_into_the_masters_window() -> None:
    worker, master = windows.Recorder(), windows.Recorder()
    worker.record(200, 12.0, True, "model;dur=45.00, total;dur=50.00")
    worker.record(503, 3.0, False, None)
    master.record(200, 10.0, True, "model;dur=40.00, total;dur=44.00")
    master.merge(worker.drain())
    assert worker.window.count == 0
    window = master.cut()
    assert window.latencies_ms == [10.0, 12.0, 3.0]
    assert window.statuses == {200: 2, 503: 1}
    assert window.failures == 1
    assert window.timing_sums == {"model": 85.0, "total": 94.0}
    assert window.timed == 2


def test_memory_growth_compares_the_ends_of_each_series() -> None:
    growth = probe.rss_growth({"a": [100.0] * 5 + [110.0] * 5, "b": [50.0, 50.0]})
    assert growth == {"a": pytest.approx(0.10), "b": 0.0}
    assert probe.rss_growth({"short": [1.0]}) == {}


def test_server_processes_are_named_by_role() -> None:
    worker = [".venv/bin/python", "-m", "_bentoml_impl.worker.service", ".", "--fd", "8"]
    assert probe.role([*worker, "--service-name", "Scorer"], False, "python") == "Scorer"
    bentoml = [".venv/bin/python", ".venv/bin/bentoml", "serve", "--production"]
    assert probe.role(bentoml, True, "python") == "bentoml arbiter"
    gunicorn = [".venv/bin/python", ".venv/bin/gunicorn", "-c", "gunicorn.conf.py"]
    assert probe.role(gunicorn, True, "python") == "gunicorn master"
    assert probe.role(gunicorn, False, "python") == "gunicorn worker"
    assert probe.role(["redis-server"], True, "redis-server") == "redis-server"
