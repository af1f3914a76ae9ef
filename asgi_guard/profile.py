"""Diagnostics: a pyinstrument profile of every predict request."""

from __future__ import annotations

from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

from scoring import contract, profiling


class ProfileMiddleware:
    """Profile every predict request into a directory (SCORING_PROFILE_DIR)."""

    def __init__(self, app: ASGIApp, directory: Path) -> None:
        self.app = app
        self.directory = directory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != contract.PREDICT_PATH:
            await self.app(scope, receive, send)
            return
        profiler = profiling.start(async_mode=True)
        try:
            await self.app(scope, receive, send)
        finally:
            profiling.finish(profiler, self.directory)
