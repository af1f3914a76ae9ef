"""gunicorn settings for the Flask target: sync workers, bounded backlog and timeouts.

Overload: connections wait in the listen backlog for a free worker; the app
answers 503 with Retry-After to a request that waited there over
SYNC_QUEUE_TIMEOUT_MS (default 1000, 0 turns it off; see wsgi.py). Every
SYNC_* variable is read by SyncSettings (scoring/settings.py); one it does not
know, or a value that cannot work, stops gunicorn before it binds.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import Any

from scoring import heap, store_checks
from scoring.settings import SettingsError, SyncSettings, load, settings

try:
    sync_settings = load(SyncSettings)
except SettingsError as error:
    sys.exit(f"settings: {error}")


try:
    # before binding: one line and status 1 on a store that can never work
    store_checks.check_at_start(settings)
except store_checks.StoreMisconfigured as error:
    sys.exit(str(error))

bind = sync_settings.bind
# gunicorn's sync worker with a deadline for a request to arrive, and the contract's errors
worker_class = "sync_baseline.worker.ContractWorker"
limit_request_fields = settings.max_header_fields
limit_request_field_size = settings.max_header_field_bytes
workers = sync_settings.workers
# as deep as BentoML's: the queue-time check, not the backlog, bounds the wait;
# past a full backlog the kernel drops new connections and clients retry their
# SYN after 1, 3, 7, 15 s
backlog = sync_settings.backlog
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = "info"
# the app reads its wsgi entry point from sync_baseline.wsgi, one app per worker
wsgi_app = "sync_baseline.wsgi:app"

# the workers' shared metrics: a directory of this server's own unless one is given,
# removed when the server stops
_own_metrics_dir = None
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    _own_metrics_dir = tempfile.mkdtemp(prefix="sync-baseline-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _own_metrics_dir


# one copy of each model for every worker: a lock file per model, in a directory of
# this server's own that its workers inherit
_own_models_dir = None
if sync_settings.shared_models:
    _own_models_dir = tempfile.mkdtemp(prefix="sync-baseline-models-")
    os.environ["SYNC_SHARED_MODELS_DIR"] = _own_models_dir


def post_worker_init(worker: Any) -> None:
    # as every BentoML worker does (scoring/heap.py): full collections walk only what
    # the requests made, not the app's start-up heap
    heap.freeze_startup_heap(f"gunicorn worker {worker.pid}")


def on_exit(server: Any) -> None:
    """Leave nothing behind: the directories this server made."""
    for made in (_own_metrics_dir, _own_models_dir):
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges from the shared metrics."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
