"""The feature store side of an entry service: one Redis pool, readiness, clean shutdown."""

from __future__ import annotations

import bentoml
import redis

from scoring import features
from scoring.settings import settings


class FeatureStoreClient:
    """Own the process's Redis pool; the service is ready while Redis answers."""

    def __init__(self) -> None:
        self.redis = features.async_client(settings)

    @bentoml.on_shutdown
    async def close_redis(self) -> None:
        await self.redis.aclose()

    async def __is_ready__(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except (redis.ConnectionError, redis.TimeoutError):
            return False
