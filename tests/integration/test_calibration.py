"""The calibration target answers the contract right, after its fixed sleep and no sooner."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from bare.calibration import SLEEP_MS
from harness.processes import start_calibration
from harness.report.calibration import SLEEP_MS as REPORTED_SLEEP_MS
from scoring.answers import check_answer

pytestmark = pytest.mark.integration


def test_the_calibration_target_answers_right_after_its_sleep(log_dir: Path) -> None:
    assert REPORTED_SLEEP_MS == SLEEP_MS  # the report subtracts what the target sleeps
    server = start_calibration(log_dir)
    try:
        with requests.Session() as session:
            for index in (0, 7, 1999):
                entity = f"e{index:07d}"
                started = time.perf_counter()
                answer = session.post(server.url + "/predict", json={"entity_id": entity})
                elapsed_ms = (time.perf_counter() - started) * 1000
                assert answer.status_code == 200, answer.text
                assert check_answer(entity, answer.json()) is None
                assert SLEEP_MS <= elapsed_ms < SLEEP_MS + 200, elapsed_ms
            bad = session.post(server.url + "/predict", json={"entity": "e0000001"})
            assert bad.status_code == 400 and bad.json()["error"]  # the contract's 400 body
            assert "python_info" in session.get(server.url + "/metrics").text
    finally:
        server.stop()
