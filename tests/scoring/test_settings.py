"""One validated path for settings: misspelt variables, bad values, child environments."""

from __future__ import annotations

import pytest

from scoring.settings import (
    Settings,
    SettingsError,
    SyncSettings,
    as_environment,
    check_environment,
    load,
)


@pytest.mark.parametrize(
    ("variable", "closest"),
    [
        ("SCORING_MODEL_BATCHR", "SCORING_MODEL_BATCHER"),
        ("scoring_max_in_flite", "SCORING_MAX_IN_FLIGHT"),
        ("SYNC_WORKRS", "SYNC_WORKERS"),
        ("SYNC_PARALEL_MODELS", "SYNC_PARALLEL_MODELS"),
    ],
)
def test_a_misspelt_variable_names_the_field_it_resembles(variable: str, closest: str) -> None:
    with pytest.raises(SettingsError, match=f"{variable} is not a setting; did you mean {closest}"):
        check_environment({variable: "1"})


def test_every_variable_a_field_reads_passes_and_other_prefixes_are_not_judged() -> None:
    check_environment(
        {
            "REDIS_URL": "redis://x",
            "SCORING_REDIS_URL": "redis://x",
            "SCORING_ENTITIES": "5",
            "SCORING_PROFILE_DIR": "/tmp",
            "SYNC_WORKERS": "3",
            "SYNC_BIND": "0.0.0.0:5000",
            "LOAD_SHAPE": "ramp",
            "SCORINGX": "1",
            "PATH": "/bin",
        }
    )
    with pytest.raises(SettingsError, match="SCORING_QQ is not a setting \\("):
        check_environment({"SCORING_QQ": "1"})


def test_values_that_cannot_work_are_one_line_that_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SYNC_WORKERS", "0")
    with pytest.raises(SettingsError, match=r"^SYNC_WORKERS: Input should be greater than"):
        load(SyncSettings)
    monkeypatch.setenv("REDIS_URL", "http://user:s3cret@host:6379/0")
    with pytest.raises(SettingsError) as error:
        load(Settings)
    assert str(error.value).startswith("REDIS_URL: ")
    assert "s3cret" not in str(error.value)


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", True), ("true", True), ("yes", True), ("on", True), ("0", False), ("false", False)],
)
def test_booleans_take_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, text: str, value: bool
) -> None:
    monkeypatch.setenv("SYNC_PARALLEL_MODELS", text)
    assert load(SyncSettings).parallel_models is value


def test_child_environments_are_built_from_validated_fields() -> None:
    assert as_environment(Settings, model_batcher="continuous") == {
        "SCORING_MODEL_BATCHER": "continuous"
    }
    assert as_environment(SyncSettings, parallel_models=True, queue_timeout_ms=0) == {
        "SYNC_PARALLEL_MODELS": "true",
        "SYNC_QUEUE_TIMEOUT_MS": "0.0",
    }
    with pytest.raises(ValueError, match="model_batcher"):
        as_environment(Settings, model_batcher="continous")
    with pytest.raises(SettingsError, match="no field workerz"):
        as_environment(SyncSettings, workerz=2)
