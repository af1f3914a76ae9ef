"""Feature store layout: how entities, keys and feature vectors look in Redis.

Features are a deterministic function of the entity id, so any process can
recompute what the store holds and check an answer end to end.
"""

from __future__ import annotations

import asyncio
import hashlib
import struct
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio as aredis
from redis.backoff import NoBackoff
from redis.maint_notifications import MaintNotificationsConfig
from redis.retry import Retry

from scoring.settings import Settings, settings

KEY_PREFIX = "features:"
META_KEY = "features-meta"
Features = list[float]


def feature_key(entity_id: str) -> str:
    """Return the Redis key that holds one entity's feature vector."""
    return f"{KEY_PREFIX}{entity_id}"


def entity_id_for(index: int) -> str:
    """Return the id of the index-th seeded entity."""
    return f"e{index:07d}"


def make_features(entity_id: str, dim: int) -> Features:
    """Derive a float32-exact vector in [-1, 1) from the entity id."""
    needed = 4 * dim
    stream = b""
    counter = 0
    while len(stream) < needed:
        stream += hashlib.sha256(f"{entity_id}/{counter}".encode()).digest()
        counter += 1
    words = struct.unpack(f"<{dim}I", stream[:needed])
    # float32 round trip so the stored bytes decode to exactly these values
    return decode_features(encode_features([w / 2**31 - 1.0 for w in words]))


def encode_features(features: Sequence[float]) -> bytes:
    """Pack a vector as little-endian float32: 4 bytes per feature."""
    return struct.pack(f"<{len(features)}f", *features)


def decode_features(raw: bytes) -> Features:
    """Unpack a vector written by encode_features."""
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def _decoded(raw: bytes | str | None) -> Features | None:
    if raw is None:
        return None
    if isinstance(raw, str):  # a client built with decode_responses=True
        raise TypeError("feature store clients must not decode responses")
    return decode_features(raw)


def seed(client: redis.Redis, count: int, dim: int, chunk: int = 5_000) -> int:
    """Write features for entities 0..count-1; rewriting the same values is idempotent."""
    for start in range(0, count, chunk):
        ids = (entity_id_for(i) for i in range(start, min(start + chunk, count)))
        # one MSET round trip per chunk, not one SET per entity
        client.mset({feature_key(e): encode_features(make_features(e, dim)) for e in ids})
    client.hset(META_KEY, mapping={"entities": count, "feature_dim": dim})
    return count


def seed_url(url: str, count: int, dim: int) -> int:
    """Seed the Redis at url (see seed) on a client of its own, closed afterwards."""
    client = sync_client(settings_for(url))
    try:
        return seed(client, count, dim)
    finally:
        client.close()


def seeded_entities(client: redis.Redis) -> int:
    """Return how many entities the store says it holds (0 when unseeded)."""
    raw = client.hget(META_KEY, "entities")
    return int(raw) if raw is not None else 0


def fetch_features(client: redis.Redis, entity_id: str) -> Features | None:
    """Return one entity's features, or None when it is unknown."""
    return _decoded(client.get(feature_key(entity_id)))


async def fetch_features_async(client: aredis.Redis, entity_id: str) -> Features | None:
    """Return one entity's features, or None when it is unknown."""
    return _decoded(await client.get(feature_key(entity_id)))


async def fetch_many_async(
    client: aredis.Redis, entity_ids: Sequence[str]
) -> list[Features | None]:
    """Return features for many entities in one MGET, None where unknown."""
    raws = await client.mget([feature_key(e) for e in entity_ids])
    return [_decoded(raw) for raw in raws]


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


def settings_for(url: str) -> Settings:
    """The process's settings, pointed at another Redis."""
    return settings.model_copy(update={"redis_url": url})


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
