"""BentoML's request metrics labelled by route: an adjustment keyed on the code it adjusts.

BentoML's RunnerTrafficMetricsMiddleware labels every request's series with its
raw path, so each distinct unknown path adds series to every histogram: 500
GETs to random paths grew the entry's /metrics from 29 KB to 2 MB here (3,000
grew it to 12.7 MB and a worker by 200 MB RSS). It is the outermost middleware,
so nothing inside can bound it. Here a path that is none of the service's
routes is labelled "unmatched", as the Flask target does; the app below the
middleware still sees the request's own path.

Checked against instruments.py's source (service/checked_source.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from bentoml._internal.context import server_context
from bentoml._internal.server.http import instruments

from service.checked_source import source_sha256

# sha256 of bentoml/_internal/server/http/instruments.py in BentoML 1.4.40
CHECKED_INSTRUMENTS_SHA256 = "37af9f159d105f97ce98bff62a0ac498376dbc17204736a71f767d56add28490"
UNMATCHED = "unmatched"  # the label of every path that is not a route
# BentoML's own routes beside a service's APIs (bentoml/_internal/server/base_app.py)
BENTOML_PATHS = frozenset(
    {"/", "/docs.json", "/schema.json", "/healthz", "/livez", "/readyz", "/metrics"}
)
_ORIGINAL_PATH = "scoring.original_path"

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


class InstrumentsChanged(RuntimeError):
    """BentoML's metrics middleware is not the code the adjustment was checked against."""


def route_label(path: str, routes: frozenset[str]) -> str:
    """The endpoint label of a request path: a route's own path, else UNMATCHED."""
    return path if path in routes or path in BENTOML_PATHS else UNMATCHED


class _OriginalPath:
    """The app below the metrics middleware, handed the path the label replaced."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if _ORIGINAL_PATH in scope:
            original = {k: v for k, v in scope.items() if k != _ORIGINAL_PATH}
            scope = original | {"path": scope[_ORIGINAL_PATH]}
        await self.app(scope, receive, send)


def label_by_route(found_sha256: str | None = None) -> None:
    """Label BentoML's request metrics by route, if its middleware is the code checked.

    Call it in the worker, once BentoML has set the service's routes (the service's
    __init__ is such a place): the routes are read then.
    """
    found = found_sha256 or source_sha256(instruments)
    if found != CHECKED_INSTRUMENTS_SHA256:
        raise InstrumentsChanged(
            f"BentoML's instruments.py changed (sha256 {found[:12]}, checked "
            f"{CHECKED_INSTRUMENTS_SHA256[:12]}): re-check service/metrics_labels.py against it"
        )
    middleware = instruments.RunnerTrafficMetricsMiddleware
    if getattr(middleware.__call__, "labels_by_route", False):
        return
    call: Callable[..., Awaitable[None]] = middleware.__call__
    # the worker's routes, set by BentoML before it builds the service: read once, not
    # on every request
    routes = frozenset(server_context.service_routes)

    async def call_by_route(self: Any, scope: Scope, receive: Any, send: Any) -> None:
        if not isinstance(self.app, _OriginalPath):
            self.app = _OriginalPath(self.app)
        if scope["type"] == "http" and route_label(scope["path"], routes) == UNMATCHED:
            scope = {**scope, "path": UNMATCHED, _ORIGINAL_PATH: scope["path"]}
        await call(self, scope, receive, send)

    # the marker and the assignment patch a class BentoML leaves untyped
    call_by_route.labels_by_route = True  # type: ignore[attr-defined]
    middleware.__call__ = call_by_route  # type: ignore[method-assign]
