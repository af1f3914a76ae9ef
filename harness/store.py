"""The comparison's feature store: REDIS_URL when set, else a throwaway local server, seeded."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from harness import processes, redis_server
from scoring import seed
from scoring.settings import settings


@contextlib.contextmanager
def feature_store(log_dir: Path, entities: int) -> Iterator[str]:
    """Yield a seeded Redis URL: REDIS_URL when set, else a throwaway local server."""
    url = os.environ.get("REDIS_URL")
    if url:
        seed.seed_url(url, entities, settings.feature_dim)
        yield url
        return
    with processes.running(redis_server.start_redis(log_dir)) as server:
        seed.seed_url(server.url, entities, settings.feature_dim)
        yield server.url
