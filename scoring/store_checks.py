"""Whether the feature store can serve these settings: at start, for readiness, and why not.

A problem that may come right (Redis not up yet, not seeded) keeps a server
unready with the reason; one that never will with these settings (a database
index out of range, a refused password, vectors of another dimension) raises
StoreMisconfigured, and a server stops at start with its one line.
"""

from __future__ import annotations

import logging

import redis
import redis.asyncio as aredis

from scoring import contract, redis_store, vectors
from scoring.settings import Settings

logger = logging.getLogger(__name__)


class StoreMisconfigured(RuntimeError):
    """The feature store cannot serve these settings: a server stops at start, naming the fix."""


def _check_seeding(meta: dict[bytes, bytes], dim: int) -> str | None:
    if not meta:
        return f"feature store not seeded: no {vectors.META_KEY!r} hash (python -m scoring.seed)"
    stored = int(meta.get(b"feature_dim", b"0"))
    if stored != dim:
        raise StoreMisconfigured(
            f"feature store holds {stored}-dimensional vectors, this server expects "
            f"{dim}: set SCORING_FEATURE_DIM={stored} or reseed the store"
        )
    return None


def _refused(exc: redis.ResponseError, url: str) -> StoreMisconfigured:
    # a database index out of range or a refused command: no retry will help
    return StoreMisconfigured(
        f"Redis at {redis_store.redacted_url(url)} refused the connection: {exc}"
        " (check the database index in REDIS_URL)"
    )


def _wrong_password(exc: redis.AuthenticationError, url: str) -> StoreMisconfigured:
    # redis-py counts a refused password as a connection error: it is not an outage
    return StoreMisconfigured(
        f"Redis at {redis_store.redacted_url(url)} refused the password: {exc}"
        " (check the password in REDIS_URL)"
    )


def _problem_of(exc: redis.RedisError, url: str) -> str:
    """What a failed read of the store means: an outage (the reason), or StoreMisconfigured."""
    if isinstance(exc, redis.AuthenticationError):
        raise _wrong_password(exc, url) from None
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
        return contract.FEATURE_STORE_UNAVAILABLE
    if isinstance(exc, redis.ResponseError):
        raise _refused(exc, url) from None
    raise exc


def store_problem(client: redis.Redis, config: Settings) -> str | None:
    """Why the store cannot answer yet (unreachable, unseeded), or None.

    Raises StoreMisconfigured when it never will with these settings.
    """
    try:
        meta = client.hgetall(vectors.META_KEY)
    except redis.RedisError as exc:
        return _problem_of(exc, config.redis_url)
    return _check_seeding(meta, config.feature_dim)  # type: ignore[arg-type]


async def store_problem_async(client: aredis.Redis, config: Settings) -> str | None:
    """Why the store cannot answer yet, or None; StoreMisconfigured as store_problem."""
    try:
        meta = await client.hgetall(vectors.META_KEY)
    except redis.RedisError as exc:
        return _problem_of(exc, config.redis_url)
    return _check_seeding(meta, config.feature_dim)  # type: ignore[arg-type]


def not_ready_reason(client: redis.Redis, config: Settings) -> str | None:
    """The reason the store is not ready, fatal or not, or None (readiness of a sync server)."""
    try:
        return store_problem(client, config)
    except StoreMisconfigured as exc:
        return str(exc)


async def not_ready_reason_async(client: aredis.Redis, config: Settings) -> str | None:
    """The reason the store is not ready, or None (readiness of an asyncio server)."""
    try:
        return await store_problem_async(client, config)
    except StoreMisconfigured as exc:
        return str(exc)


def warn_at_start(problem: str | None) -> None:
    """Log a store problem that may yet come right (started or seeded later)."""
    if problem is not None:
        logger.warning("%s; not ready until it is", problem)


def check_at_start(config: Settings) -> None:
    """Before a server starts its workers: warn on a store problem that may yet come right.

    Raises StoreMisconfigured on one that never will, for the server to stop on.
    """
    client = redis_store.sync_client(config)
    try:
        warn_at_start(store_problem(client, config))
    finally:
        client.close()
