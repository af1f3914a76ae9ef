"""The feature store side of an entry service: one Redis pool, readiness, clean shutdown."""

from __future__ import annotations

import logging

import bentoml
import redis.asyncio as aredis

from scoring import redis_store, store_checks
from scoring.settings import settings
from service.heap import FrozenStartupHeap
from service.metrics_labels import label_by_route

logger = logging.getLogger(__name__)
# the process's store client, for the readiness reason the ASGI guard answers with
_store: aredis.Redis | None = None


async def not_ready_reason() -> str | None:
    """Why this entry worker is not ready (its store unreachable, unseeded, mismatched), or None."""
    if _store is None:
        return "starting"
    return await store_checks.not_ready_reason_async(_store, settings)


class FeatureStoreClient(FrozenStartupHeap):
    """Own the process's Redis pool.

    Readiness is the ASGI guard's: it answers /readyz 503 with the store's
    problem (not_ready_reason), so BentoML's own probe is not asked the same.
    """

    # one connection per request in progress; opened at startup, not in a burst
    warm_connections = min(settings.max_in_flight, settings.redis_max_connections)

    def __init__(self) -> None:
        global _store
        # in the worker, before its first request: BentoML's metrics middleware is patched
        label_by_route()
        self.redis = _store = redis_store.async_client(settings)

    @bentoml.on_deployment
    def check_store() -> None:
        """Stop `bentoml serve` before it starts a worker, with one line and status 1, on a
        store that can never work: BentoML runs deployment hooks once, in the serving
        process, and a worker's start-up failure would only restart the worker."""
        try:
            store_checks.check_at_start(settings)
        except store_checks.StoreMisconfigured as error:
            raise SystemExit(str(error)) from None

    @bentoml.on_startup
    async def warm_redis_pool(self) -> None:
        # a store that went wrong since check_store: readiness answers with the reason
        store_checks.warn_at_start(await store_checks.not_ready_reason_async(self.redis, settings))
        opened = await redis_store.warm_pool(self.redis, self.warm_connections)
        if opened < self.warm_connections:
            # not fatal: the pool connects on demand, and readiness reports Redis
            logger.warning(
                "opened %d of %d Redis connections to %s at startup",
                opened,
                self.warm_connections,
                redis_store.redacted_url(settings.redis_url),
            )

    @bentoml.on_shutdown
    async def close_redis(self) -> None:
        await self.redis.aclose()
