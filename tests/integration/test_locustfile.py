"""locustfile.py against real servers: plain runs, experiments and distributed mode."""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import threading
from pathlib import Path

import pytest

from harness.processes import BIN, ROOT, Managed
from tests.servers import TEST_ENTITIES

pytestmark = pytest.mark.integration


def _locust(target: Managed, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "locustfile.py"),
        "-H",
        target.url,
        "--headless",
        "--only-summary",
        "--entities",
        str(TEST_ENTITIES),
        *args,
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def test_plain_run_validates_every_answer_without_failures(target: Managed) -> None:
    done = _locust(target, "-u", "20", "-r", "20", "-t", "4s")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    summary = next(line for line in done.stderr.splitlines() if "Aggregated" in line)
    requests, failures = summary.split()[1:3]
    assert int(requests) > 20
    assert failures.startswith("0(")


def test_a_shape_takes_the_common_options_without_a_false_warning(
    edge_server: Managed, tmp_path: Path
) -> None:
    log = tmp_path / "cold.json"
    done = _locust(
        edge_server,
        *("--shape", "cold", "-u", "3", "-r", "3", "-t", "20s"),
        *("--hold-s", "1", "--warmup-s", "0.5", "--step-log", str(log)),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "will be ignored" not in done.stderr
    assert "have no impact on LoadShapes" not in done.stderr
    # cold: 1 user, then -u users at once
    assert [s["users"] for s in json.loads(log.read_text())["steps"]] == [1, 3]


def test_distributed_run_measures_steps_on_the_master(edge_server: Managed, tmp_path: Path) -> None:
    log = tmp_path / "steps.json"
    done = _locust(
        edge_server,
        "--processes",
        "2",
        "--shape",
        "sustained",
        "-u",
        "20",
        "--hold-s",
        "4",
        "--warmup-s",
        "1",
        "--window-s",
        "2",
        "--step-log",
        str(log),
        "--server-pid",
        str(edge_server.pid),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    step = json.loads(log.read_text())["steps"][0]
    assert step["users"] == 20
    assert step["requests"] > 50
    assert step["statuses"] == {"200": step["requests"]}
    assert step["server_timing_ms"]["model"] > 40
    assert step["server_cpu_ms_per_request"] > 0
    assert step["mean_batch_size"] >= 1


def test_arrival_rate_is_open_loop_and_prints_the_scheduled_send_percentiles(
    target: Managed,
) -> None:
    # under every target's capacity (the test's Flask server has 3 workers: about 33/s)
    done = _locust(target, "--arrival-rate", "15", "-t", "6s")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    line = next(x for x in done.stdout.splitlines() if "latency from the scheduled send" in x)
    answers = int(line.split("; ")[-1].split()[0])
    assert 50 <= answers <= 140  # Poisson arrivals at 15/s for 6 s: 90 expected
    summary = next(x for x in done.stderr.splitlines() if "Aggregated" in x)
    assert summary.split()[2].startswith("0(")  # every answer validated, none failed


@pytest.mark.parametrize("processes", [1, 2])
def test_the_sweep_finds_a_capacity_under_the_slo(
    edge_server: Managed, tmp_path: Path, processes: int
) -> None:
    log = tmp_path / "sweep.json"
    done = _locust(
        edge_server,
        "--shape",
        "sweep",
        "--sweep-start",
        "40",
        "--sweep-factor",
        "4",
        "--bisections",
        "1",
        "--slo-p99-ms",
        "250",
        "--warmup-s",
        "1",
        "--window-s",
        "2",
        "--step-cap-s",
        "4",
        "--decide-cap-s",
        "20",
        "--step-log",
        str(log),
        "--server-pid",
        str(edge_server.pid),
        # a rate past capacity may be shed (503): a sweep finds its limit that way, so
        # failed requests alone do not fail the run; a crash still exits non-zero
        "--exit-code-on-error",
        "0",
        *(["--processes", str(processes)] if processes > 1 else []),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(log.read_text())
    rates = [s["open_loop"]["offered_rps"] for s in result["steps"]]
    first = result["steps"][0]["open_loop"]
    # on failure, say why the first rate missed: its p99, errors, validity
    assert rates[:2] == [40, 160], (first, result["steps"][0]["statuses"])
    assert first["meets_slo"], first  # decided: the 95% interval of its p99 is under 250 ms
    assert first["samples"] >= 368 and (first["p99_high_ms"] or 250) < 250, first
    assert abs(first["sent_rps"] / first["scheduled_rps"] - 1) < 0.02
    assert first["p50_ms"] > 40  # a model sleeps 40-50 ms
    assert result["capacity_rps"] >= 40


def _resetting_server() -> tuple[socket.socket, threading.Thread]:
    """A server that accepts each connection and resets it at once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


@pytest.mark.parametrize("server", ["dead port", "resets connections"])
def test_connection_errors_are_recorded_as_failures_with_their_cause(
    server: str, tmp_path: Path
) -> None:
    listener, _ = _resetting_server()
    port = listener.getsockname()[1]
    if server == "dead port":
        listener.close()
    log = tmp_path / "steps.json"
    argv = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "locustfile.py"),
        "-H",
        f"http://127.0.0.1:{port}",
        "--headless",
        "--only-summary",
        "--shape",
        "sustained",
        "-u",
        "5",
        "--hold-s",
        "2",
        "--warmup-s",
        "0.5",
        "--window-s",
        "1",
        "--step-log",
        str(log),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    listener.close()
    step = json.loads(log.read_text())["steps"][0]
    assert step["requests"] > 0
    assert step["failures"] == step["requests"]  # every one counted, none lost
    assert step["statuses"] == {"0": step["requests"]}
    assert "TypeError" not in done.stderr
    assert "connection error" in done.stdout + done.stderr
