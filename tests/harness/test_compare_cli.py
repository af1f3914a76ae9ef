"""The comparison refuses what it cannot do before it starts anything, and cleans up on SIGTERM."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.compare import main, parse_args
from harness.ladder import RUNGS
from harness.processes import free_port


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            ["--rungs", "async_runners"],
            "unknown rung(s) async_runners; the rungs are: calibration-45ms, sync-seq,",
        ),
        (["--rungs", ","], "unknown rung(s) (none given)"),
        (["--rungs", "sync-seq", "--gate-error-rate", "0"], "judge async-batched-hop, left out"),
    ],
)
def test_a_run_that_cannot_be_done_stops_with_2_and_writes_nothing(
    argv: list[str], said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([*argv, "--results", str(tmp_path / "results")])
    assert stopped.value.code == 2
    assert said in capsys.readouterr().err
    assert not (tmp_path / "results").exists()  # no run folder, no results/latest


def test_a_dead_redis_url_is_one_line_that_names_it_without_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://user:s3cret@127.0.0.1:{free_port()}/0")
    with pytest.raises(SystemExit) as stopped:
        main(["--rungs", "sync-seq", "--results", str(tmp_path / "results")])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "REDIS_URL redis://user:***@127.0.0.1:" in err and "does not answer" in err
    assert "s3cret" not in err and "Traceback" not in err
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    "given", ["45", "45,0.5,1", "a,b", "-1,0.5", "45,-0.5", "", "nan,0.5", "45,inf"]
)
def test_a_model_cost_that_is_not_a_line_is_refused_with_an_example(
    given: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([f"--model-cost={given}", "--results", str(tmp_path / "results")])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "give BASE_MS,PER_ITEM_MS (two finite numbers not below 0, for example 45,0.5)" in err
    assert "a table of batch size to ms (1:45,128:110), or one of flat, accelerator, cpu" in err
    assert not (tmp_path / "results").exists()


def test_a_model_cost_answers_with_the_headline_pair_and_the_edge_and_sets_every_model() -> None:
    args = parse_args(["--model-cost", "45,0.5"])
    assert args.rungs == "sync-seq,async-batched-hop,async-edge"
    assert args.model_cost.environment() == {
        "SCORING_MODEL_SLEEP_MIN_MS": "45.0",
        "SCORING_MODEL_SLEEP_MAX_MS": "45.0",
        "SCORING_MODEL_ITEM_COST_MS": "0.5",
    }
    explicit = parse_args(["--model-cost", "45,0.5", "--rungs", "async-edge"])
    assert explicit.rungs == "async-edge"
    assert parse_args([]).rungs.split(",") == [r.name for r in RUNGS]
