"""Measure a model's batch curve, for --model-cost: python -m harness.batch_curve --help.

Times a batch predict function at each batch size (random float32 features,
one row per item), fits the line base + per_item x n through the times by
least squares, and prints the table and the `--model-cost` that runs the
comparison with that line. Without a function it measures its own example, a
small NumPy MLP (16 -> 1024 -> 1024 -> 1, float32): the CPU-like profile of
harness.model_cost was measured with it on this project's machine.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from harness import model_cost

Predict = Callable[[Any], Any]


def example_mlp(hidden: int = 1024, features: int = 16) -> Predict:
    """A dense CPU model: two ReLU layers of `hidden` units, one score per row."""
    rng = np.random.default_rng(0)
    w1 = rng.standard_normal((features, hidden), dtype=np.float32)
    w2 = rng.standard_normal((hidden, hidden), dtype=np.float32)
    w3 = rng.standard_normal((hidden, 1), dtype=np.float32)

    def predict(batch: Any) -> Any:
        return np.maximum(np.maximum(batch @ w1, 0) @ w2, 0) @ w3

    return predict


def _load(spec: str) -> Predict:
    """module:function, the function taking a (n, features) float32 array."""
    module, _, name = spec.partition(":")
    if not name:
        raise SystemExit(f"batch_curve: {spec!r}: give module:function")
    found: Predict = getattr(importlib.import_module(module), name)
    return found


def time_ms(predict: Predict, batch: Any, seconds: float) -> float:
    """The median time of one call on the batch, over repeated calls for `seconds`."""
    predict(batch)  # warm: caches, lazy initialisation
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(times) < 5:
        started = time.perf_counter()
        predict(batch)
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)[len(times) // 2]


def measure(
    predict: Predict, sizes: Sequence[int], features: int, seconds: float
) -> dict[int, float]:
    """Batch size to median milliseconds per call."""
    rng = np.random.default_rng(1)
    return {
        n: time_ms(predict, rng.standard_normal((n, features), dtype=np.float32), seconds)
        for n in sizes
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.batch_curve", description=__doc__)
    parser.add_argument("function", nargs="?", help="module:function (default: the example MLP)")
    parser.add_argument("--sizes", default="1,2,4,8,16,32,64,128")
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=1.0, help="per batch size")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    args = parser.parse_args(argv)
    predict = _load(args.function) if args.function else example_mlp(features=args.features)
    sizes = [int(s) for s in args.sizes.split(",")]
    table = measure(predict, sizes, args.features, args.seconds)
    line = model_cost.fit(table)
    if args.json:
        print(
            json.dumps(
                {"table_ms": table, "base_ms": line.base_ms, "per_item_ms": line.per_item_ms}
            )
        )
        return 0
    for n, ms in table.items():
        print(f"batch {n:4d}: {ms:9.3f} ms   line {line.batch_ms(n):9.3f} ms")
    print(f"fitted: {line.base_ms:.3f} ms + {line.per_item_ms:.4f} ms per item")
    table_text = ",".join(f"{n}:{ms:.3f}" for n, ms in table.items())
    print(f"run it: python -m harness.compare --model-cost {table_text}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
