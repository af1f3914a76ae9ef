"""bentoconfiguration.yaml and the batching knobs really reach BentoML.

BentoML accepts unknown keys and misspelt service names without a word, so
each setting is read back from the objects BentoML itself builds from it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.processes import ROOT
from scoring.settings import settings

CONFIG = ROOT / "bentoconfiguration.yaml"


@pytest.fixture(scope="module")
def loaded_services() -> Iterator[dict[str, Any]]:
    """The per-service settings as a worker of the shipped bento loads them."""
    from bentoml._internal.configuration.containers import BentoMLContainer

    scorer = _services()[0]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BENTOML_CONFIG", str(CONFIG))
        scorer.inject_config()  # the decorators' settings, then the file's overrides
    yield BentoMLContainer.config.services.get()


def _services() -> tuple[Any, ...]:
    """Return the entry service and its model services, as BentoML built them."""
    from service.models import ModelA, ModelB
    from service.service import Scorer

    return Scorer, ModelA, ModelB


def _service_names() -> set[str]:
    from service.edge import EdgeScorer
    from service.per_request import PerRequestScorer

    scorer = _services()[0]
    entries: list[Any] = [scorer, EdgeScorer, PerRequestScorer]
    return {e.name for e in entries} | {d.on.name for d in scorer.dependencies.values()}


def test_file_names_exactly_the_real_services() -> None:
    written = yaml.safe_load(Path(CONFIG).read_text())
    assert "version" not in written
    assert set(written["services"]) == _service_names()


def test_runner_connection_reaches_the_client_of_each_model(
    loaded_services: dict[str, Any],
) -> None:
    from _bentoml_impl.client.proxy2 import RemoteProxy

    for dependency in _services()[0].dependencies.values():
        proxy: Any = RemoteProxy("http://127.0.0.1:9", service=dependency.on)
        sessions = proxy._async._session_manager
        # far beyond any run: the session is never refreshed under in-flight calls
        assert sessions.max_requests >= 10**9
        assert isinstance(sessions.max_age, float)
        assert sessions.max_age >= 86_400
        assert proxy._async.timeout == pytest.approx(
            loaded_services[dependency.on.name]["traffic"]["timeout"] * 1.01
        )


def test_runtime_settings_are_loaded_per_service(loaded_services: dict[str, Any]) -> None:
    for name in {"Scorer", "ModelA", "ModelB"}:
        # one entry worker: its batcher is the one queue in front of the models
        assert loaded_services[name]["workers"] == 1
        assert loaded_services[name]["logging"]["access"]["enabled"] is False
        assert loaded_services[name]["traffic"]["timeout"] == 30
        assert loaded_services[name]["tracing"]["excluded_urls"] == ["/predict"]


SERVICE_OBJECTS = {
    "Scorer": "service.service:Scorer",
    "ModelA": "service.models:ModelA",
    "ModelB": "service.models:ModelB",
    "EdgeScorer": "service.edge:EdgeScorer",
    "PerRequestScorer": "service.per_request:PerRequestScorer",
}


@pytest.mark.integration  # a process per service
@pytest.mark.parametrize("name", sorted(SERVICE_OBJECTS))
def test_no_span_is_recorded_for_predict_in_any_service(name: str) -> None:
    # as a worker process of plain `bentoml serve` does: the service merges its
    # decorator's settings into the global configuration its middlewares read
    module, attribute = SERVICE_OBJECTS[name].split(":")
    code = (
        f"from {module} import {attribute} as service\n"
        "from bentoml._internal.configuration.containers import BentoMLContainer as c\n"
        "service.inject_config()\n"
        "print(c.config.tracing.excluded_urls.get())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={k: v for k, v in os.environ.items() if k != "BENTOML_CONFIG"},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert done.stdout.strip().splitlines()[-1] == "['/predict']"


def test_batching_comes_from_settings() -> None:
    scorer, *models = _services()
    for model in models:
        method = model.apis["predict"]
        assert method.batchable
        assert method.max_batch_size == settings.max_batch_size
        assert method.max_latency_ms == settings.max_latency_ms
    assert not scorer.apis["predict"].batchable


def test_bentofile_points_at_the_entry_service_and_configuration() -> None:
    bentofile = yaml.safe_load((ROOT / "bentofile.yaml").read_text())
    assert bentofile["service"] == "service.service:Scorer"
    assert bentofile["docker"]["python_version"] == "3.11"
    envs = {env["name"]: env["value"] for env in bentofile["envs"]}
    assert envs["BENTOML_CONFIG"].endswith("/bentoconfiguration.yaml")
    assert "bentoconfiguration.yaml" in bentofile["include"]
