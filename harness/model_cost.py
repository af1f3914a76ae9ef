"""A user's model in the comparison: what one call of a batch of n costs, base + per_item x n.

`python -m harness.compare --model-cost 45,0.5` runs the headline pair and the
edge rung with every model taking 45 ms + 0.5 ms per item of a batch, instead
of the default 40-50 ms whatever the batch. Measure your model's batch curve
(the time of a batch of 1 and of a large batch) and pass its line.
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

    def environment(self) -> dict[str, str]:
        """The settings that give every server of the run this cost."""
        return as_environment(
            Settings,
            model_sleep_min_ms=self.base_ms,
            model_sleep_max_ms=self.base_ms,
            model_item_cost_ms=self.per_item_ms,
        )


def parse(text: str) -> ModelCost:
    """Read BASE_MS,PER_ITEM_MS (argparse type): two finite numbers, not negative."""
    refused = argparse.ArgumentTypeError(
        f"{text!r}: give BASE_MS,PER_ITEM_MS, two finite numbers not below 0 (for example 45,0.5)"
    )
    try:
        base, per_item = (float(part) for part in text.split(","))
    except ValueError:  # not a number, or not two of them
        raise refused from None
    # nan passed this and crashed the run in its settings check; inf would sleep forever
    if not all(math.isfinite(v) and v >= 0 for v in (base, per_item)):
        raise refused
    return ModelCost(base, per_item)
