"""An entry worker's own links to its model services' Unix sockets, which outlive the arbiter.

Under `bentoml serve` an entry worker reaches each model service by a Unix
socket in one directory, and on SIGTERM the arbiter deletes that directory
before it signals any service. The model services go on serving after it
(service/drain.py), but only over connections already open: every connection
the entry opened from then on, to send a batch or to probe a model service's
readiness, failed with the socket's path gone, and a failed probe marks the
model down, which answers every request the entry holds with 503 "model
service unavailable" (CI, once in several runs). So each entry worker
hard-links the sockets into a directory of its own when it starts and calls
its model services by those links: a link reaches the same listening socket,
whatever happens to the arbiter's path, until the model service closes it.

Served one service at a time (`start-http-server --depends Model=http://...`,
deploy/) the model services are reached over TCP, and nothing changes.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from bentoml._internal.configuration.containers import BentoMLContainer
from bentoml._internal.utils.uri import path_to_uri, uri_to_path

logger = logging.getLogger(__name__)


def keep_model_sockets() -> Path | None:
    """Point this worker's model services at hard links to their Unix sockets.

    Call it before the first use of a `bentoml.depends` attribute, which reads
    the mapping once. Returns the directory holding the links, for
    `release_model_sockets` at shutdown, or None when there is nothing to keep
    (no Unix sockets) or the links cannot be made (the mapping then stays).
    """
    mapping: dict[str, str] = dict(BentoMLContainer.remote_runner_mapping.get())
    sockets = {name: uri_to_path(url) for name, url in mapping.items() if url.startswith("file:")}
    if not sockets:
        return None
    # beside the arbiter's directory: a hard link must stay on its file system
    parent = Path(next(iter(sockets.values()))).parent.parent
    kept = Path(tempfile.mkdtemp(prefix="scoring-uds-", dir=parent))
    try:
        for name, path in sockets.items():
            link = kept / f"{name}.sock"
            os.link(path, link)
            mapping[name] = path_to_uri(str(link))
    except OSError as exc:
        logger.warning("model sockets not kept (%r): SIGTERM may refuse held requests", exc)
        release_model_sockets(kept)
        return None
    BentoMLContainer.remote_runner_mapping.set(mapping)
    return kept


def release_model_sockets(kept: Path | None) -> None:
    """Remove the links keep_model_sockets made (their sockets stay with their servers)."""
    if kept is not None:
        shutil.rmtree(kept, ignore_errors=True)
