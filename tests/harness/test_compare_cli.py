"""The comparison refuses what it cannot do before it starts anything, and cleans up on SIGTERM."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.compare import main
from harness.processes import free_port


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--rungs", "async_runners"], "unknown rung(s) async_runners; the rungs are: sync-seq,"),
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
