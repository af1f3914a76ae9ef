"""A user's model in the comparison: what one call of a batch of n costs, base + per_item x n.

`python -m harness.compare --model-cost 45,0.5` runs the headline pair and the
edge rung with every model taking 45 ms + 0.5 ms per item of a batch, instead
of the default 40-50 ms whatever the batch. --model-cost also takes a measured
table of batch size to milliseconds (`1:45,32:61,128:110`, from
`python -m harness.batch_curve`), fitted to its line by least squares, or the
name of a profile below.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

from scoring.settings import Settings, as_environment

# the rungs a user's curve is answered with when --rungs is not given
DEFAULT_ROLES = ("baseline", "shipped", "edge")


@dataclass(frozen=True)
class ModelCost:
    """One model call of a batch of n sleeps base_ms + per_item_ms x n."""

    base_ms: float
    per_item_ms: float

    def batch_ms(self, n: int) -> float:
        """What one call of a batch of n costs."""
        return self.base_ms + self.per_item_ms * n

    @property
    def ceiling(self) -> float:
        """Batching's largest gain: a batch of one's cost per item over a huge batch's."""
        return (
            (self.base_ms + self.per_item_ms) / self.per_item_ms if self.per_item_ms else math.inf
        )

    def environment(self) -> dict[str, str]:
        """The settings that give every server of the run this cost."""
        return as_environment(
            Settings,
            model_sleep_min_ms=self.base_ms,
            model_sleep_max_ms=self.base_ms,
            model_item_cost_ms=self.per_item_ms,
        )


@dataclass(frozen=True)
class Profile:
    """A named batch curve, and where its per-item figure comes from."""

    cost: ModelCost
    source: str


BASE_MS = 45.0  # every profile keeps the sleeping model's mean time of a batch of one

# A literal data table: batch size -> ms of harness.batch_curve's example NumPy MLP,
# measured on this project's 2-core machine (`python -m harness.batch_curve --seconds 2
# --json`, median of each size's calls)
CPU_MLP_MS = {
    1: 0.073,
    2: 0.327,
    4: 0.332,
    8: 0.374,
    16: 0.548,
    32: 0.797,
    64: 1.519,
    128: 4.341,
}


def fit(table: dict[int, float]) -> ModelCost:
    """The least-squares line through batch size -> ms, clipped at 0 (a measured table)."""
    sizes, times = list(table), list(table.values())
    mean_n, mean_t = sum(sizes) / len(sizes), sum(times) / len(times)
    spread = sum((n - mean_n) ** 2 for n in sizes)
    slope = sum((n - mean_n) * (t - mean_t) for n, t in table.items()) / spread if spread else 0.0
    slope = max(slope, 0.0)
    return ModelCost(max(mean_t - slope * mean_n, 0.0), slope)


def _with_ceiling(gain: float) -> ModelCost:
    """The curve with BASE_MS whose gain from batching tends to `gain` for large batches."""
    return ModelCost(BASE_MS, BASE_MS / (gain - 1))


def gain(table: dict[int, float]) -> tuple[int, float]:
    """The largest batch measured, and how much less it cost per item than a batch of one."""
    largest = max(table)
    return largest, largest * table[min(table)] / table[largest]


def _with_gain(largest: int, found: float) -> ModelCost:
    """The curve with BASE_MS on which a batch of `largest` gains `found` over a batch of one."""
    # largest (B + p) = found (B + p largest), solved for p
    return ModelCost(BASE_MS, BASE_MS * (largest - found) / (largest * (found - 1)))


PROFILES = {
    "flat": Profile(
        ModelCost(BASE_MS, 0.0),
        "the project's sleeping model: a batch of any size costs a batch of one",
    ),
    "accelerator": Profile(
        _with_ceiling(3.3),
        "Triton's conceptual guide, part 2: dynamic batching took a model on an A100 from "
        "975 to 3,188 inferences/s (3.3x); read as the ceiling of large batches",
    ),
    "cpu": Profile(
        _with_gain(*gain(CPU_MLP_MS)),
        "measured here by `python -m harness.batch_curve` (its example NumPy MLP, 16 -> 1024 "
        f"-> 1024 -> 1, on 2 cores): a batch of {gain(CPU_MLP_MS)[0]} cost "
        f"{gain(CPU_MLP_MS)[1]:.2f}x less per item than a batch of one; the same gain at "
        "that size on the 45 ms base",
    ),
}


def _table(text: str, refused: argparse.ArgumentTypeError) -> ModelCost:
    """SIZE:MS,...: two or more distinct batch sizes from 1, times finite and not below 0."""
    try:
        pairs = [part.split(":") for part in text.split(",")]
        table = {int(n): float(ms) for n, ms in pairs}
    except ValueError:
        raise refused from None
    valid = all(n >= 1 and math.isfinite(ms) and ms >= 0 for n, ms in table.items())
    if len(table) < 2 or len(table) < len(pairs) or not valid:
        raise refused
    return fit(table)


def parse(text: str) -> ModelCost:
    """Read a profile's name, BASE_MS,PER_ITEM_MS, or a table SIZE:MS,... (argparse type)."""
    refused = argparse.ArgumentTypeError(
        f"{text!r}: give BASE_MS,PER_ITEM_MS (two finite numbers not below 0, for example "
        "45,0.5), a table of batch size to ms (1:45,128:110), or one of "
        f"{', '.join(PROFILES)}"
    )
    if text in PROFILES:
        return PROFILES[text].cost
    if ":" in text:
        return _table(text, refused)
    try:
        base, per_item = (float(part) for part in text.split(","))
    except ValueError:  # not a number, or not two of them
        raise refused from None
    # nan passed this and crashed the run in its settings check; inf would sleep forever
    if not all(math.isfinite(v) and v >= 0 for v in (base, per_item)):
        raise refused
    return ModelCost(base, per_item)
