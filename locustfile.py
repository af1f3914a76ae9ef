"""Load for either target: locust -f locustfile.py -H http://127.0.0.1:3000 (or :5000).

Workload model: closed loop, each user sends its next request as soon as the
previous answer arrives (no think time unless --think-time is given).
Every answer is checked against scores recomputed from the shared core.
"""

from __future__ import annotations

import functools
import os
import random
from typing import Any

from locust import FastHttpUser, events, task
from locust.argument_parser import LocustArgumentParser

from scoring import contract, features
from scoring.models import expected_scores
from scoring.settings import settings

TOLERANCE = 1e-9


@events.init_command_line_parser.add_listener
def add_arguments(parser: LocustArgumentParser) -> None:
    parser.add_argument(
        "--entities",
        type=int,
        env_var="SCORING_ENTITIES",
        default=settings.entities,
        help="ids are drawn from the first N seeded entities",
    )
    parser.add_argument(
        "--id-seed",
        type=int,
        env_var="LOAD_ID_SEED",
        default=1234,
        help="seed of each user's random id sequence",
    )
    parser.add_argument(
        "--think-time",
        type=float,
        env_var="LOAD_THINK_TIME_S",
        default=0.0,
        help="seconds each user waits between requests (0: closed loop at full speed)",
    )


@functools.lru_cache(maxsize=100_000)
def expected_answer(entity_id: str) -> dict[str, float]:
    """Recompute the scores a correct server returns for one entity."""
    return expected_scores(features.make_features(entity_id, settings.feature_dim))


def check_answer(entity_id: str, body: Any) -> str | None:
    """Return what is wrong with a 200 body, or None when it is right."""
    if not isinstance(body, dict) or body.get("entity_id") != entity_id:
        return f"wrong entity in answer: {body!r}"
    expected = expected_answer(entity_id)
    scores = body.get("scores") or {}
    for name, value in expected.items():
        if abs(scores.get(name, float("nan")) - value) > TOLERANCE:
            return f"{name} for {entity_id}: got {scores.get(name)!r}, expected {value!r}"
    if abs(body.get("score", float("nan")) - sum(expected.values()) / 2) > TOLERANCE:
        return f"combined score for {entity_id} is wrong: {body.get('score')!r}"
    return None


class ScoringUser(FastHttpUser):
    """Scores random known entities and validates every answer."""

    def wait_time(self) -> float:
        return float(self.environment.parsed_options.think_time)

    def on_start(self) -> None:
        options = self.environment.parsed_options
        user_index = getattr(self, "_user_index", id(self))
        self.rng = random.Random(f"{options.id_seed}/{user_index}")
        self.entities = options.entities

    @task
    def predict(self) -> None:
        entity_id = features.entity_id_for(self.rng.randrange(self.entities))
        with self.client.post(
            contract.PREDICT_PATH,
            json={"entity_id": entity_id},
            name=contract.PREDICT_PATH,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                return
            problem = check_answer(entity_id, response.json())
            if problem:
                response.failure(problem)


if __name__ == "__main__":
    from locust import run_single_user

    os.environ.setdefault("LOCUST_HOST", "http://127.0.0.1:3000")
    run_single_user(ScoringUser)
