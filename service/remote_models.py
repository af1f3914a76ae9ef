"""An entry's two model services: called together, their failures in the contract's terms."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

import aiohttp
import bentoml
from bentoml.exceptions import BentoMLException, ServiceUnavailable

from scoring.contract import ModelOverloaded, ModelUnavailable
from scoring.settings import settings
from service.drain import Stop, on_sigterm
from service.model_health import ModelHealth
from service.model_sockets import keep_model_sockets, release_model_sockets
from service.models import ModelA, ModelB, ModelInput, ModelOutput, call_model

logger = logging.getLogger(__name__)


class RemoteModels:
    """Call ModelA and ModelB as separate services; answer at once while one of them is down."""

    model_a = bentoml.depends(ModelA)
    model_b = bentoml.depends(ModelB)

    def __init__(self) -> None:
        super().__init__()
        # before the first use of model_a or model_b, which reads where they are
        self.kept_sockets = keep_model_sockets()
        self.model_health = ModelHealth(
            {"ModelA": self.model_a, "ModelB": self.model_b},
            settings.model_probe_interval_s,
            settings.model_probe_timeout_s,
        )

    @bentoml.on_startup
    async def watch_models(self) -> None:
        self.model_health.start()
        # on SIGTERM the model services serve until this worker's calls stop
        # (service/drain.py): a probe failing then would refuse what it holds
        on_sigterm(self._stop_probing_then)

    def _stop_probing_then(self, stop: Stop) -> None:
        self.model_health.stop_probing()
        stop()

    @bentoml.on_shutdown
    async def stop_watching_models(self) -> None:
        await self.model_health.stop()
        release_model_sockets(self.kept_sockets)

    async def call_models(
        self, items: list[ModelInput]
    ) -> tuple[list[ModelOutput], list[ModelOutput]]:
        """Both models' outputs for the items, called concurrently."""

        def both() -> Awaitable[tuple[list[ModelOutput], list[ModelOutput]]]:
            return asyncio.gather(call_model(self.model_a, items), call_model(self.model_b, items))

        try:
            out_a, out_b = await self.model_health.run(both)
        except ServiceUnavailable as exc:
            raise ModelOverloaded from exc
        except (aiohttp.ClientError, BentoMLException) as exc:
            logger.warning("model call failed: %r", exc)
            raise ModelUnavailable from exc
        return out_a, out_b
