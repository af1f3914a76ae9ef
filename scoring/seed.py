"""Seed the feature store: python -m scoring.seed --help; seed() and seed_url() for the harness."""

from __future__ import annotations

import argparse
import sys
import time

import redis

from scoring import redis_store, vectors
from scoring.settings import Settings, settings


def seed(client: redis.Redis, count: int, dim: int, chunk: int = 5_000) -> int:
    """Write features for entities 0..count-1; rewriting the same values is idempotent."""
    for start in range(0, count, chunk):
        ids = (vectors.entity_id_for(i) for i in range(start, min(start + chunk, count)))
        # one MSET round trip per chunk, not one SET per entity
        client.mset(
            {
                vectors.feature_key(e): vectors.encode_features(vectors.make_features(e, dim))
                for e in ids
            }
        )
    client.hset(vectors.META_KEY, mapping={"entities": count, "feature_dim": dim})
    return count


def seed_url(url: str, count: int, dim: int, config: Settings = settings) -> int:
    """Seed the Redis at url (see seed) on a client of its own, closed afterwards."""
    client = redis_store.sync_client(redis_store.settings_for(url, config))
    try:
        return seed(client, count, dim)
    finally:
        client.close()


def seeded_entities(client: redis.Redis) -> int:
    """Return how many entities the store says it holds (0 when unseeded)."""
    raw = client.hget(vectors.META_KEY, "entities")
    return int(raw) if raw is not None else 0


def main(argv: list[str] | None = None) -> int:
    """Write deterministic features for N entities into Redis."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis-url", default=settings.redis_url, help="default: REDIS_URL")
    parser.add_argument("--count", type=int, default=settings.entities, help="entities to seed")
    parser.add_argument("--dim", type=int, default=settings.feature_dim, help="features each")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    try:
        seed_url(args.redis_url, args.count, args.dim)
    except redis.RedisError as error:
        # one line, as every server says it: the store's answer, the URL without its password
        where = redis_store.redacted_url(args.redis_url)
        print(f"seeding {where} failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(
        f"seeded {args.count} entities x {args.dim} features into "
        f"{redis_store.redacted_url(args.redis_url)} in {time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
