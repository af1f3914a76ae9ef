"""What a correct answer is: scores recomputed from the shared core, to check any target."""

from __future__ import annotations

import functools
import math
from typing import Any

from scoring import vectors
from scoring.models import expected_scores
from scoring.settings import settings

TOLERANCE = 1e-9


@functools.lru_cache(maxsize=100_000)
def _scores(entity_id: str, dim: int) -> tuple[tuple[str, float], ...]:
    return tuple(expected_scores(vectors.make_features(entity_id, dim)).items())


def scores_for(entity_id: str, dim: int | None = None) -> dict[str, float]:
    """The scores a 200 answer for entity_id must carry (seeded with dim features)."""
    return dict(_scores(entity_id, dim or settings.feature_dim))


def check_answer(entity_id: str, body: Any, dim: int | None = None) -> str | None:
    """Return what is wrong with a 200 body, or None when it is right."""
    if not isinstance(body, dict) or body.get("entity_id") != entity_id:
        return f"wrong entity in answer: {body!r}"
    expected = scores_for(entity_id, dim)
    scores = body.get("scores") or {}
    for name, value in expected.items():
        got = scores.get(name)
        if not isinstance(got, float | int) or not math.isclose(got, value, abs_tol=TOLERANCE):
            return f"{name} for {entity_id}: got {got!r}, expected {value!r}"
    combined = body.get("score")
    if not isinstance(combined, float | int) or not math.isclose(
        combined, sum(expected.values()) / 2, abs_tol=TOLERANCE
    ):
        return f"combined score for {entity_id} is wrong: {combined!r}"
    return None
