"""The feature store on Redis: client pools, lookups and readiness.

Every function is given its client and configuration; none reads the process's
settings. One MGET per batch; a key of the wrong type, a vector of the wrong
length or a non-finite value fails only its own request (vectors.BadFeatures).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio as aredis
from redis.backoff import NoBackoff
from redis.maint_notifications import MaintNotificationsConfig
from redis.retry import Retry

from scoring import vectors
from scoring.settings import Settings

logger = logging.getLogger(__name__)
# a refused password answers 503 "feature store unavailable" like an outage; the
# log says which it is, once per interval, not once per request
PASSWORD_LOG_INTERVAL_S = 10.0
_password_logged_at = -PASSWORD_LOG_INTERVAL_S


def _log_refused_password(connection: dict[str, Any]) -> None:
    global _password_logged_at
    now = time.monotonic()
    if now - _password_logged_at >= PASSWORD_LOG_INTERVAL_S:
        _password_logged_at = now
        where = f"{connection.get('host')}:{connection.get('port')}/{connection.get('db')}"
        logger.error(
            "Redis at %s refused the password: check the password in REDIS_URL "
            "(logged at most every %g s)",
            where,
            PASSWORD_LOG_INTERVAL_S,
        )


def fetch_features(client: redis.Redis, entity_id: str, dim: int) -> vectors.Features | None:
    """Return one entity's features, None when it is unknown; vectors.BadFeatures when unusable."""
    key = vectors.feature_key(entity_id)
    try:
        raw = client.get(key)
    except redis.AuthenticationError:
        _log_refused_password(client.connection_pool.connection_kwargs)
        raise
    except redis.ResponseError as exc:
        if not str(exc).startswith("WRONGTYPE"):
            raise
        raise vectors.wrong_type(entity_id, client.type(key)) from None
    return None if raw is None else vectors.checked_features(entity_id, raw, dim)


async def fetch_features_async(
    client: aredis.Redis, entity_id: str, dim: int
) -> vectors.Features | None:
    """Return one entity's features, None when it is unknown; BadFeatures when unusable."""
    fetched = (await fetch_many_async(client, [entity_id], dim))[0]
    if isinstance(fetched, vectors.BadFeatures):
        raise fetched
    return fetched


async def fetch_many_async(
    client: aredis.Redis, entity_ids: Sequence[str], dim: int
) -> list[vectors.Fetched]:
    """Return many entities' features: None where unknown, vectors.BadFeatures where unusable."""
    # one MGET per batch, not one GET per request
    try:
        raws = await client.mget([vectors.feature_key(e) for e in entity_ids])
    except redis.AuthenticationError:
        _log_refused_password(client.connection_pool.connection_kwargs)
        raise
    missing = [i for i, raw in enumerate(raws) if raw is None]
    types: list[bytes] = []
    if missing:
        # MGET reads a key of another type as nil: ask only for the ids it did not return
        async with client.pipeline(transaction=False) as pipe:
            for i in missing:
                pipe.type(vectors.feature_key(entity_ids[i]))
            types = await pipe.execute()
    wrong = {i: t for i, t in zip(missing, types, strict=True) if t not in (b"none", "none")}
    return [
        _fetched(e, raw, wrong.get(i), dim)
        for i, (e, raw) in enumerate(zip(entity_ids, raws, strict=True))
    ]


def _fetched(
    entity_id: str, raw: bytes | str | None, wrong_type: bytes | None, dim: int
) -> vectors.Fetched:
    if wrong_type is not None:
        return vectors.wrong_type(entity_id, wrong_type)
    if raw is None:
        return None
    try:
        return vectors.checked_features(entity_id, raw, dim)
    except vectors.BadFeatures as bad:
        return bad


async def warm_pool(client: aredis.Redis, count: int) -> int:
    """Open count pooled connections now, and return how many opened.

    A pool opens connections when first needed; in a burst, hundreds then
    connect at once on a saturated event loop and miss the connect timeout.
    """
    pool = client.connection_pool
    opened = await asyncio.gather(
        *(pool.get_connection() for _ in range(count)),  # type: ignore[no-untyped-call]
        return_exceptions=True,
    )
    connections = [c for c in opened if not isinstance(c, BaseException)]
    for connection in connections:
        await pool.release(connection)
    return len(connections)


def _client_options(config: Settings) -> dict[str, object]:
    # fail fast and let the caller answer 503: a hung request helps nobody
    return {
        "socket_connect_timeout": config.redis_timeout_s,
        "socket_timeout": config.redis_timeout_s,
        "retry": Retry(NoBackoff(), 0),
        "max_connections": config.redis_max_connections,
        # under a CPU-saturated event loop a pool wait is overload, not an outage
        "timeout": config.redis_pool_wait_s,
        # redis-py 8 skips its check for a dead pooled connection while maintenance
        # notifications are "auto" (the default): after a Redis restart every idle
        # connection failed its first command, and each worker answered one 503
        "maint_notifications_config": MaintNotificationsConfig(enabled=False),
    }


def sync_client(config: Settings) -> redis.Redis:
    """Build a client on one blocking pool that waits for a free connection."""
    pool = redis.BlockingConnectionPool.from_url(config.redis_url, **_client_options(config))
    return redis.Redis.from_pool(pool)


def settings_for(url: str, config: Settings) -> Settings:
    """The settings, pointed at another Redis."""
    return config.model_copy(update={"redis_url": url})


def async_client(config: Settings) -> aredis.Redis:
    """Build an asyncio client on one blocking pool (the default pool raises past its limit)."""
    pool = aredis.BlockingConnectionPool.from_url(config.redis_url, **_client_options(config))
    # from_pool: the client owns the pool, so closing the client closes its sockets
    return aredis.Redis.from_pool(pool)


def redacted_url(url: str) -> str:
    """Return the URL with any password replaced, for logs and reports."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))
