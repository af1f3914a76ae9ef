"""Prometheus /metrics for the Flask target, shared across gunicorn workers."""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from scoring.metrics import DURATION_BUCKETS

REQUESTS = Counter("http_requests_total", "Requests answered.", ["endpoint", "http_response_code"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from request start to response.",
    ["endpoint"],
    buckets=DURATION_BUCKETS,
)
# the same signal as BentoML's bentoml_service_request_in_progress: summed over live workers
IN_PROGRESS = Gauge(
    "http_requests_in_progress",
    "Requests being answered.",
    ["endpoint"],
    multiprocess_mode="livesum",
)

QUEUE_WAIT = Histogram(
    "sync_queue_wait_seconds",
    "Time a predict request waited in the listen backlog for a worker.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
)


def init_app(app: Flask) -> None:
    """Count and time every request, and serve /metrics."""

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()
        if request.path != "/metrics":
            g.endpoint = request.url_rule.rule if request.url_rule else "unmatched"
            IN_PROGRESS.labels(g.endpoint).inc()

    @app.teardown_request
    def finished(_error: BaseException | None) -> None:
        if "endpoint" in g:
            IN_PROGRESS.labels(g.endpoint).dec()

    @app.after_request
    def observe(response: Response) -> Response:
        if "endpoint" in g:
            # the route, never the raw path: random 404 paths must not grow /metrics
            REQUESTS.labels(g.endpoint, response.status_code).inc()
            LATENCY.labels(g.endpoint).observe(time.perf_counter() - g.started)
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        registry: CollectorRegistry | None = None
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
            # each gunicorn worker writes its own files; merge them per scrape
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(
            generate_latest(registry) if registry else generate_latest(),
            mimetype=CONTENT_TYPE_LATEST,
        )
