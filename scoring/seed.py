"""Seed the feature store: python -m scoring.seed --help."""

from __future__ import annotations

import argparse
import time

from scoring import features
from scoring.settings import settings


def main(argv: list[str] | None = None) -> int:
    """Write deterministic features for N entities into Redis."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis-url", default=settings.redis_url, help="default: REDIS_URL")
    parser.add_argument("--count", type=int, default=settings.entities, help="entities to seed")
    parser.add_argument("--dim", type=int, default=settings.feature_dim, help="features each")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    features.seed_url(args.redis_url, args.count, args.dim)
    print(
        f"seeded {args.count} entities x {args.dim} features into "
        f"{features.redacted_url(args.redis_url)} in {time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
