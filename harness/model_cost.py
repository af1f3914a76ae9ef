"""A user's model in the comparison: what one call of a batch of n costs, base + per_item x n.

`python -m harness.compare --model-cost 45,0.5` runs the headline pair and the
edge rung with every model taking 45 ms + 0.5 ms per item of a batch, instead
of the default 40-50 ms whatever the batch. Measure your model's batch curve
(the time of a batch of 1 and of a large batch) and pass its line.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from scoring.settings import Settings, as_environment

# the rungs a user's curve is answered with when --rungs is not given
DEFAULT_ROLES = ("baseline", "shipped", "edge")


@dataclass(frozen=True)
class ModelCost:
    """One model call of a batch of n sleeps base_ms + per_item_ms x n."""

    base_ms: float
    per_item_ms: float

    def environment(self) -> dict[str, str]:
        """The settings that give every server of the run this cost."""
        return as_environment(
            Settings,
            model_sleep_min_ms=self.base_ms,
            model_sleep_max_ms=self.base_ms,
            model_item_cost_ms=self.per_item_ms,
        )


def parse(text: str) -> ModelCost:
    """Read BASE_MS,PER_ITEM_MS (argparse type): two numbers, not negative."""
    refused = argparse.ArgumentTypeError(
        f"{text!r}: give BASE_MS,PER_ITEM_MS, two numbers not below 0 (for example 45,0.5)"
    )
    try:
        base, per_item = (float(part) for part in text.split(","))
    except ValueError:  # not a number, or not two of them
        raise refused from None
    if base < 0 or per_item < 0:
        raise refused
    return ModelCost(base, per_item)
