"""Feature store layout: how entities, keys and feature vectors look in Redis.

Features are a deterministic function of the entity id, so any process can
recompute what the store holds and check an answer end to end.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import struct
import time
from collections import OrderedDict
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio as aredis
from redis.backoff import NoBackoff
from redis.maint_notifications import MaintNotificationsConfig
from redis.retry import Retry

from scoring import contract
from scoring.settings import Settings, settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "features:"
META_KEY = "features-meta"
Features = list[float]


class BadFeatures(ValueError):
    """A stored vector that cannot be scored: its request fails, the rest of its batch does not."""

    def __init__(self, entity_id: str, problem: str) -> None:
        super().__init__(f"bad features for entity_id {entity_id!r}: {problem}")
        self.entity_id = entity_id
        _bad_log.warn(entity_id, str(self))


class _OncePerEntity:
    """Log one line per bad entity per interval, no traceback, in bounded memory."""

    def __init__(self, interval_s: float = 60.0, remembered: int = 10_000) -> None:
        self.interval_s = interval_s
        self.remembered = remembered
        self._last: OrderedDict[str, float] = OrderedDict()

    def warn(self, entity_id: str, message: str) -> None:
        now = time.monotonic()
        last = self._last.get(entity_id)
        if last is not None and now - last < self.interval_s:
            return
        self._last[entity_id] = now
        self._last.move_to_end(entity_id)
        while len(self._last) > self.remembered:
            self._last.popitem(last=False)
        logger.warning("%s (logged once per entity per %.0f s)", message, self.interval_s)


_bad_log = _OncePerEntity()
# per-item result of a batched read: a vector, None when unknown, or what is wrong with it
Fetched = Features | None | BadFeatures


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


def checked_features(entity_id: str, raw: bytes | str, dim: int) -> Features:
    """Decode a stored vector, or raise BadFeatures saying why it cannot be scored."""
    if isinstance(raw, str):  # a client built with decode_responses=True
        raise TypeError("feature store clients must not decode responses")
    if len(raw) != 4 * dim:
        raise BadFeatures(entity_id, f"{len(raw)} bytes stored, {4 * dim} expected ({dim} float32)")
    vector = decode_features(raw)
    for position, value in enumerate(vector):
        if not math.isfinite(value):
            raise BadFeatures(entity_id, f"feature {position} is {value}")
    return vector


def _wrong_type(entity_id: str, redis_type: bytes | str) -> BadFeatures:
    name = redis_type.decode() if isinstance(redis_type, bytes) else redis_type
    return BadFeatures(entity_id, f"stored as a Redis {name}, not a string")


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
    """Return one entity's features, None when it is unknown; BadFeatures when unusable."""
    key = feature_key(entity_id)
    try:
        raw = client.get(key)
    except redis.ResponseError as exc:
        if not str(exc).startswith("WRONGTYPE"):
            raise
        raise _wrong_type(entity_id, client.type(key)) from None
    return None if raw is None else checked_features(entity_id, raw, settings.feature_dim)


async def fetch_features_async(client: aredis.Redis, entity_id: str) -> Features | None:
    """Return one entity's features, None when it is unknown; BadFeatures when unusable."""
    fetched = (await fetch_many_async(client, [entity_id]))[0]
    if isinstance(fetched, BadFeatures):
        raise fetched
    return fetched


async def fetch_many_async(client: aredis.Redis, entity_ids: Sequence[str]) -> list[Fetched]:
    """Return many entities' features: None where unknown, BadFeatures where unusable."""
    # one MGET per batch, not one GET per request
    raws = await client.mget([feature_key(e) for e in entity_ids])
    missing = [i for i, raw in enumerate(raws) if raw is None]
    types: list[bytes] = []
    if missing:
        # MGET reads a key of another type as nil: ask only for the ids it did not return
        async with client.pipeline(transaction=False) as pipe:
            for i in missing:
                pipe.type(feature_key(entity_ids[i]))
            types = await pipe.execute()
    wrong = {i: t for i, t in zip(missing, types, strict=True) if t not in (b"none", "none")}
    return [
        _fetched(e, raw, wrong.get(i))
        for i, (e, raw) in enumerate(zip(entity_ids, raws, strict=True))
    ]


def _fetched(entity_id: str, raw: bytes | str | None, wrong_type: bytes | None) -> Fetched:
    if wrong_type is not None:
        return _wrong_type(entity_id, wrong_type)
    if raw is None:
        return None
    try:
        return checked_features(entity_id, raw, settings.feature_dim)
    except BadFeatures as bad:
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


class StoreMisconfigured(RuntimeError):
    """The feature store cannot serve these settings: a server stops at start, naming the fix."""


def _check_seeding(meta: dict[bytes, bytes]) -> str | None:
    if not meta:
        return f"feature store not seeded: no {META_KEY!r} hash (python -m scoring.seed)"
    stored = int(meta.get(b"feature_dim", b"0"))
    if stored != settings.feature_dim:
        raise StoreMisconfigured(
            f"feature store holds {stored}-dimensional vectors, this server expects "
            f"{settings.feature_dim}: set SCORING_FEATURE_DIM={stored} or reseed the store"
        )
    return None


def _refused(exc: redis.ResponseError) -> StoreMisconfigured:
    # a database index out of range or a refused command: no retry will help
    return StoreMisconfigured(
        f"Redis at {redacted_url(settings.redis_url)} refused the connection: {exc}"
        " (check the database index in REDIS_URL)"
    )


def store_problem(client: redis.Redis) -> str | None:
    """Why the store cannot answer yet (unreachable, unseeded), or None.

    Raises StoreMisconfigured when it never will with these settings.
    """
    try:
        return _check_seeding(client.hgetall(META_KEY))  # type: ignore[arg-type]
    except (redis.ConnectionError, redis.TimeoutError):
        return contract.FEATURE_STORE_UNAVAILABLE
    except redis.ResponseError as exc:
        raise _refused(exc) from None


async def store_problem_async(client: aredis.Redis) -> str | None:
    """Why the store cannot answer yet, or None; StoreMisconfigured as store_problem."""
    try:
        return _check_seeding(await client.hgetall(META_KEY))  # type: ignore[arg-type]
    except (redis.ConnectionError, redis.TimeoutError):
        return contract.FEATURE_STORE_UNAVAILABLE
    except redis.ResponseError as exc:
        raise _refused(exc) from None


def not_ready_reason(client: redis.Redis) -> str | None:
    """The reason the store is not ready, fatal or not, or None (readiness of a sync server)."""
    try:
        return store_problem(client)
    except StoreMisconfigured as exc:
        return str(exc)


async def not_ready_reason_async(client: aredis.Redis) -> str | None:
    """The reason the store is not ready, or None (readiness of an asyncio server)."""
    try:
        return await store_problem_async(client)
    except StoreMisconfigured as exc:
        return str(exc)


def warn_at_start(problem: str | None) -> None:
    """Log a store problem that may yet come right (started or seeded later)."""
    if problem is not None:
        logger.warning("%s; not ready until it is", problem)
