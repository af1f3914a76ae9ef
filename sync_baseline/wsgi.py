"""WSGI entry point: gunicorn -c sync_baseline/gunicorn.conf.py."""

from __future__ import annotations

import os

from sync_baseline.app import create_app

app = create_app(
    parallel_models=os.environ.get("SYNC_PARALLEL_MODELS") == "1",
    # a request that waited longer for a worker gets 503 at once; 0 turns it off
    queue_timeout_ms=float(os.environ.get("SYNC_QUEUE_TIMEOUT_MS", 1000)),
)
