"""SIGTERM under `bentoml serve`: the model services stop after the entry has used them.

On SIGTERM `bentoml serve` signals every service at once, and its arbiter first
deletes the Unix sockets the entry reaches its model services by. A request the
entry had taken but not yet sent on to a model found no model to send it to,
and the entry's next readiness probe, needing a new connection, marked both
models down: such requests answered 503 "model service unavailable" instead of
their scores. So on SIGTERM:
- a model worker holds uvicorn's exit back: its listener and the entry's open
  connections keep serving until no call has come for SCORING_MODEL_DRAIN_IDLE_S,
  or for at most the entry's model budget (SCORING_MODEL_TIMEOUT_S) after the
  signal, when no request the entry holds can still need it;
- an entry worker stops probing its model services (they are stopping by design,
  and serve its calls until it has finished), then stops as uvicorn does.
A second SIGTERM stops a worker at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable
from types import FrameType

import bentoml

from scoring.settings import settings

logger = logging.getLogger(__name__)
Stop = Callable[[], None]


def on_sigterm(first: Callable[[Stop], None]) -> bool:
    """At the first SIGTERM, call first(stop) in the running loop instead of stopping.

    stop() is the server's own handler (uvicorn's, in a BentoML worker), which
    first must call when it is done; a second SIGTERM calls it at once. False,
    and nothing changed, when no server's handler is installed to defer.
    """
    loop = asyncio.get_running_loop()
    server_exit = signal.getsignal(signal.SIGTERM)
    if not callable(server_exit):
        return False
    signalled: list[int] = []

    def stop() -> None:
        server_exit(signal.SIGTERM, None)

    def handler(signum: int, frame: FrameType | None) -> None:
        if signalled:
            server_exit(signum, frame)
            return
        signalled.append(signum)
        loop.call_soon_threadsafe(first, stop)  # out of the signal handler first

    signal.signal(signal.SIGTERM, handler)
    return True


class DrainBeforeExit:
    """A mixin for a model service: on SIGTERM it serves until its API has been idle."""

    last_call: float = 0.0  # time.monotonic() of the latest call into the API

    def mark_call(self) -> None:
        """Note a call: the service is still being used."""
        self.last_call = time.monotonic()

    @bentoml.on_startup
    async def defer_exit_until_idle(self) -> None:
        draining: list[asyncio.Task[None]] = []  # holds the task while it runs
        on_sigterm(lambda stop: draining.append(asyncio.ensure_future(self.exit_when_idle(stop))))

    async def exit_when_idle(self, stop: Stop) -> None:
        """Wait until no call has come for the drain's idle time (or its cap), then stop()."""
        signalled = time.monotonic()
        idle_s, deadline = settings.model_drain_idle_s, signalled + settings.model_timeout_s
        while (now := time.monotonic()) < deadline:
            quiet_s = now - max(self.last_call, signalled)
            if quiet_s >= idle_s:
                break
            await asyncio.sleep(min(idle_s - quiet_s, deadline - now))
        logger.info("%s drained: stopping", type(self).__name__)
        stop()
