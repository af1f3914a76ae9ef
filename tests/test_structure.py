"""The harness's shape, kept: the load generator stands alone, modules and functions stay short."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harness.ladder import RUNGS

ROOT = Path(__file__).resolve().parent.parent
HARNESS = sorted((ROOT / "harness").rglob("*.py"))
LOADGEN = sorted((ROOT / "loadgen").rglob("*.py"))
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


@pytest.mark.parametrize("path", [*LOADGEN, ROOT / "locustfile.py"], ids=lambda p: p.name)
def test_the_load_generator_does_not_import_the_harness(path: Path) -> None:
    assert not {n for n in _imported(path) if n.split(".")[0] == "harness"}


@pytest.mark.parametrize("path", HARNESS + LOADGEN, ids=lambda p: str(p.relative_to(ROOT)))
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
