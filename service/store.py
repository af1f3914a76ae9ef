"""The feature store side of an entry service: one Redis pool, readiness, clean shutdown."""

from __future__ import annotations

import logging

import bentoml
import redis

from scoring import features
from scoring.settings import settings

logger = logging.getLogger(__name__)


class FeatureStoreClient:
    """Own the process's Redis pool; the service is ready while Redis answers."""

    # one connection per request in progress; opened at startup, not in a burst
    warm_connections = min(settings.max_in_flight, settings.redis_max_connections)

    def __init__(self) -> None:
        self.redis = features.async_client(settings)

    @bentoml.on_startup
    async def warm_redis_pool(self) -> None:
        opened = await features.warm_pool(self.redis, self.warm_connections)
        if opened < self.warm_connections:
            # not fatal: the pool connects on demand, and readiness reports Redis
            logger.warning(
                "opened %d of %d Redis connections to %s at startup",
                opened,
                self.warm_connections,
                features.redacted_url(settings.redis_url),
            )

    @bentoml.on_shutdown
    async def close_redis(self) -> None:
        await self.redis.aclose()

    async def __is_ready__(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except (redis.ConnectionError, redis.TimeoutError):
            return False
