"""Run a throwaway local redis-server and seed it: python -m harness.redis_local --help."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import tempfile
import threading
from pathlib import Path

from harness.processes import running
from harness.redis_server import start_redis
from scoring import seed
from scoring.settings import settings


def main(argv: list[str] | None = None) -> int:
    """Start redis-server on loopback, seed it, print its URL, and wait for Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--entities", type=int, default=settings.entities)
    args = parser.parse_args(argv)

    log_dir = Path(tempfile.mkdtemp(prefix="redis-local-"))
    try:
        server = start_redis(log_dir, port=args.port or None)
    except RuntimeError as error:  # never seed a server this did not start
        print(f"redis_local: {error}", file=sys.stderr)
        return 2
    with running(server):
        seed.main(["--redis-url", server.url, "--count", str(args.entities)])
        print(f"REDIS_URL={server.url}  (pid {server.pid}, log {server.log_path}); Ctrl-C stops it")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
