"""`bentoml serve` as a user types it serves the shipped runtime; BENTOML_CONFIG overrides it.

Read back from the running server: its worker processes (one per worker, each
named by its service) and whether BentoML traced the predict request (a traced
API answer carries X-BentoML-Request-ID, the span's id).
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

import psutil
import pytest

from harness.processes import BIN, ROOT, Managed, free_port, http_ready, spawn, wait_ready

pytestmark = pytest.mark.integration


def _serve_as_typed(log_dir: Path, redis_url: str, extra: Mapping[str, str]) -> Managed:
    # the test's own environment configures no BentoML: it is the user's shell
    assert not {"BENTOML_CONFIG", "BENTOML_CONFIG_OPTIONS"} & set(os.environ)
    port = free_port()
    env = {
        "REDIS_URL": redis_url,
        "BENTOML_DO_NOT_TRACK": "True",
        "BENTOML_HOME": str(log_dir / f"bentoml-home-{port}"),
        **extra,
    }
    argv = [str(BIN / "bentoml"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    server = spawn(f"bento-as-typed-{port}", argv, url, log_dir, env)
    return wait_ready(server, lambda: http_ready(url + "/readyz"), 90)


def _workers(server: Managed) -> Counter[str]:
    """Worker processes of the server by service name, from their command lines."""
    counts: Counter[str] = Counter()
    for child in psutil.Process(server.pid).children(recursive=True):
        argv = child.cmdline()
        if "--service-name" in argv:
            counts[argv[argv.index("--service-name") + 1]] += 1
    return counts


def _traced(server: Managed) -> bool:
    request = urllib.request.Request(
        server.url + "/predict",
        data=json.dumps({"entity_id": "e0000001"}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
        return answer.headers.get("X-BentoML-Request-ID") is not None


@pytest.fixture
def as_typed(log_dir: Path, redis_server: Managed) -> Iterator[Managed]:
    server = _serve_as_typed(log_dir, redis_server.url, {})
    yield server
    server.stop()


def test_plain_bentoml_serve_gives_the_shipped_runtime(as_typed: Managed) -> None:
    # one entry worker (one queue in front of the models), one of each model service
    assert _workers(as_typed) == Counter({"Scorer": 1, "ModelA": 1, "ModelB": 1})
    assert not _traced(as_typed)


def test_the_configuration_file_and_options_override_it(
    log_dir: Path, redis_server: Managed, tmp_path: Path
) -> None:
    config = tmp_path / "override.yaml"
    config.write_text("services:\n  Scorer:\n    tracing:\n      excluded_urls: ['/nothing']\n")
    overrides = {
        "BENTOML_CONFIG": str(config),
        "BENTOML_CONFIG_OPTIONS": "services.Scorer.workers=2",
    }
    server = _serve_as_typed(log_dir, redis_server.url, overrides)
    try:
        assert _workers(server) == Counter({"Scorer": 2, "ModelA": 1, "ModelB": 1})
        assert _traced(server)
    finally:
        server.stop()


def test_the_shipped_configuration_file_changes_nothing_of_it(bento_server: Managed) -> None:
    # the comparison and the bento serve with BENTOML_CONFIG=bentoconfiguration.yaml
    assert _workers(bento_server) == Counter({"Scorer": 1, "ModelA": 1, "ModelB": 1})
    assert not _traced(bento_server)
    assert (ROOT / "bentoconfiguration.yaml").exists()
