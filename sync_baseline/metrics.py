"""Prometheus /metrics for the Flask target, shared across gunicorn workers."""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter("http_requests_total", "Requests answered.", ["endpoint", "http_response_code"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from request start to response.",
    ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10),
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

    @app.after_request
    def observe(response: Response) -> Response:
        if request.path != "/metrics" and "started" in g:
            # the route, never the raw path: random 404 paths must not grow /metrics
            endpoint = request.url_rule.rule if request.url_rule else "unmatched"
            REQUESTS.labels(endpoint, response.status_code).inc()
            LATENCY.labels(endpoint).observe(time.perf_counter() - g.started)
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
