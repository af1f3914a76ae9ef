"""WSGI entry point: gunicorn -c sync_baseline/gunicorn.conf.py."""

from __future__ import annotations

from pathlib import Path

from scoring.settings import SyncSettings, load
from sync_baseline.app import create_app

sync_settings = load(SyncSettings)
app = create_app(
    parallel_models=sync_settings.parallel_models,
    # a request that waited longer for a worker gets 503 at once; 0 turns it off
    queue_timeout_ms=sync_settings.queue_timeout_ms,
    # one copy of each model for all workers (gunicorn.conf.py names the directory)
    shared_models_in=Path(sync_settings.shared_models_dir) if sync_settings.shared_models else None,
)
