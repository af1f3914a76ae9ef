"""Whether the model services answer, known before a request needs them.

A model service that died does not refuse connections: BentoML's arbiter holds
its listening socket, so a call to it waits in the socket's backlog until the
model budget ends (10 s, then 504), and a readiness probe hangs as long. Here a
background task probes each model service's /readyz every
SCORING_MODEL_PROBE_INTERVAL_S with a SCORING_MODEL_PROBE_TIMEOUT_S deadline. A
failed probe marks the service down: requests answer the contract's 503 "model
service unavailable" at once, the calls already out are given up, and /readyz
says which service is down. The first probe that passes brings it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from scoring.contract import ModelUnavailable

logger = logging.getLogger(__name__)
T = TypeVar("T")
# the entry worker's watcher, for the readiness reason the ASGI guard answers with
_watching: ModelHealth | None = None


def down_reason() -> str | None:
    """Why this entry worker's model services cannot answer, or None."""
    return _watching.down_reason() if _watching is not None else None


class ModelHealth:
    """The readiness of each model service an entry calls, probed in the background."""

    def __init__(self, models: Mapping[str, Any], interval_s: float, timeout_s: float) -> None:
        self.models = models  # name -> BentoML's client of the service (a RemoteProxy)
        self.interval_s, self.timeout_s = interval_s, timeout_s
        self.down: dict[str, str] = {}  # name -> since when, and why
        self._went_down = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.stopped = False  # probes end; one still out marks nothing

    def down_reason(self) -> str | None:
        if not self.down:
            return None
        return "; ".join(
            f"model service {name} unavailable: {why}" for name, why in self.down.items()
        )

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """Make a model call; ModelUnavailable at once if a model service is, or goes, down."""
        if self.down:
            raise ModelUnavailable(self.down_reason())
        answered = asyncio.ensure_future(call())
        went_down = asyncio.ensure_future(self._went_down.wait())
        try:
            await asyncio.wait({answered, went_down}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            went_down.cancel()
        if not answered.done():
            answered.cancel()
            raise ModelUnavailable(self.down_reason())
        return answered.result()

    async def _probe(self, name: str) -> str | None:
        """Why one probe of a model service failed, or None when it passed."""
        try:
            ready = await asyncio.wait_for(self.models[name].is_ready(), self.timeout_s)
        except TimeoutError:
            return f"readiness probe over {self.timeout_s:g} s"
        except Exception as exc:  # any failure to answer is a failed probe
            return f"readiness probe failed ({type(exc).__name__})"
        return None if ready else "not ready"

    async def probe_all(self) -> None:
        """Probe every model service once, concurrently; record who is down."""
        names = list(self.models)
        problems = await asyncio.gather(*map(self._probe, names))
        if self.stopped:
            return
        for name, problem in zip(names, problems, strict=True):
            if problem is not None and name not in self.down:
                self.down[name] = f"{problem} at {time.strftime('%H:%M:%S')}"
                logger.warning("model service %s down: %s", name, problem)
                self._went_down.set()
            elif problem is None and name in self.down:
                del self.down[name]
                logger.info("model service %s answers again", name)
        if not self.down and self._went_down.is_set():
            self._went_down = asyncio.Event()

    async def _watch(self) -> None:
        while True:
            started = time.monotonic()
            await self.probe_all()
            await asyncio.sleep(max(0.0, self.interval_s - (time.monotonic() - started)))

    def start(self) -> None:
        """Probe in the background, in this worker's event loop."""
        global _watching
        _watching = self
        self._task = asyncio.get_running_loop().create_task(self._watch())

    def stop_probing(self) -> None:
        """Probe no more, and let no probe still out mark a service down."""
        self.stopped = True
        if self._task is not None:
            self._task.cancel()

    async def stop(self) -> None:
        self.stop_probing()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
