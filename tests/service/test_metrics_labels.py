"""BentoML's request metrics labelled by route, the app below given the request's own path."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import pytest
from bentoml._internal.server.http import instruments

from service.checked_source import source_sha256
from service.metrics_labels import (
    CHECKED_INSTRUMENTS_SHA256,
    UNMATCHED,
    InstrumentsChanged,
    label_by_route,
    route_label,
)

ROUTES = frozenset({"/predict"})
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def test_the_installed_middleware_is_the_one_checked() -> None:
    assert source_sha256(instruments) == CHECKED_INSTRUMENTS_SHA256


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/predict", "/predict"),
        ("/metrics", "/metrics"),
        ("/readyz", "/readyz"),
        ("/", "/"),
        ("/predict/", UNMATCHED),
        ("//predict", UNMATCHED),
        ("/a3f9c2e1", UNMATCHED),
        ("/static_content/../x", UNMATCHED),
    ],
)
def test_a_path_is_labelled_by_its_route_or_as_unmatched(path: str, label: str) -> None:
    assert route_label(path, ROUTES) == label


def test_the_app_below_sees_the_requests_own_path_while_the_label_is_bounded() -> None:
    label_by_route()
    seen: list[str] = []

    async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        seen.append(scope["path"])

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: MutableMapping[str, Any]) -> None:
        return None

    middleware = instruments.RunnerTrafficMetricsMiddleware(app)
    labels: list[str] = []
    middleware._is_setup = True  # no Prometheus client: record the labels it would use
    for name in (
        "last_request_timestamp",
        "request_in_progress",
        "request_total",
        "request_duration",
    ):
        setattr(middleware, f"metrics_{name}", _Recorder(labels))
    for path in ("/a3f9c2e1", "/b77d0e4f"):
        scope = {"type": "http", "path": path, "method": "GET"}
        asyncio.run(middleware(scope, receive, send))
    assert seen == ["/a3f9c2e1", "/b77d0e4f"]
    assert set(labels) == {UNMATCHED}  # every metric the requests touched


class _Recorder:
    """Stands in for one of BentoML's metrics: records the endpoint label each use gets."""

    def __init__(self, labels: list[str]) -> None:
        self.labels_seen = labels

    def labels(self, **values: str) -> _Recorder:
        if "endpoint" in values:
            self.labels_seen.append(values["endpoint"])
        return self

    def set_to_current_time(self) -> None:
        return None

    def track_inprogress(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()


def test_a_changed_middleware_is_refused_with_one_line() -> None:
    label_by_route(CHECKED_INSTRUMENTS_SHA256)  # applied once, however often it is asked for
    with pytest.raises(InstrumentsChanged) as refused:
        label_by_route(hashlib.sha256(b"another middleware").hexdigest())
    message = str(refused.value)
    assert "\n" not in message
    assert "instruments.py changed" in message and "service/metrics_labels.py" in message
