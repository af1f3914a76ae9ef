"""The code's shape, kept: layers import downward only, modules and functions stay short."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harness.ladder import RUNGS

ROOT = Path(__file__).resolve().parent.parent
HARNESS = sorted((ROOT / "harness").rglob("*.py"))
LOADGEN = sorted((ROOT / "loadgen").rglob("*.py"))
PACKAGES = ("scoring", "asgi_guard", "sync_baseline", "service", "bare", "loadgen", "harness")
SOURCES = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
MAX_MODULE_LINES = 250
MAX_FUNCTION_LINES = 50


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


# each package and the project packages it may import: three layers, nothing upward
LAYERS = {
    "scoring": set(),  # the framework-free core
    "asgi_guard": {"scoring"},
    "sync_baseline": {"scoring"},
    "service": {"scoring", "asgi_guard"},
    "bare": {"scoring", "asgi_guard"},  # no BentoML: not service/
    "loadgen": {"scoring"},
    "harness": {"scoring", "loadgen", "service"},  # service.runtime: what the rungs serve
}


def _project_imports(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        found |= {name.split(".")[0] for name in _imported(path)}
    return found & set(LAYERS) - {package}


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_each_package_imports_only_the_layers_below_it(package: str) -> None:
    assert _project_imports(package) <= LAYERS[package]


def test_every_package_has_a_layer() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages == set(LAYERS)


@pytest.mark.parametrize("path", [*LOADGEN, ROOT / "locustfile.py"], ids=lambda p: p.name)
def test_the_load_generator_does_not_import_the_harness(path: Path) -> None:
    assert not {n for n in _imported(path) if n.split(".")[0] == "harness"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_stay_short(path: Path) -> None:
    assert len(path.read_text().splitlines()) < MAX_MODULE_LINES
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{node.name}: {length} lines"


def test_no_code_compares_against_a_rung_name_outside_the_ladder() -> None:
    names = {rung.name for rung in RUNGS}
    for path in [*HARNESS, *LOADGEN, ROOT / "locustfile.py"]:
        if path.name == "ladder.py":
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Compare):
                for side in [node.left, *node.comparators]:
                    if isinstance(side, ast.Constant):
                        where = f"{path.name}:{node.lineno}"
                        assert side.value not in names, f"{where} compares against {side.value}"
