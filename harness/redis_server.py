"""A throwaway redis-server for the comparison and the tests, and short questions to any Redis."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import redis

from harness.processes import Managed, free_port, spawn, wait_ready

T = TypeVar("T")
REDIS_INSTALL_HINT = (
    "redis-server is not installed. On Debian/Ubuntu: sudo apt-get install -y redis-server "
    "(scripts/bootstrap.sh does it when run as root), or set REDIS_URL to a running server."
)


def _ask_redis(url: str, ask: Callable[[redis.Redis], T]) -> T | None:
    """Ask the Redis server at url on a short-lived client; None when none answers."""
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return ask(client)
    except (redis.ConnectionError, redis.TimeoutError):
        return None
    finally:
        client.close()


def redis_answers(url: str) -> bool:
    """Return True when a Redis server at url answers PING (any server, INFO or not)."""
    return bool(_ask_redis(url, lambda client: client.ping()))


def redis_pid(url: str) -> int | None:
    """The process id of the Redis server answering at url, or None when none answers."""
    return _ask_redis(url, lambda client: int(client.info("server")["process_id"]))


def start_redis(
    log_dir: Path, port: int | None = None, timeout_s: float = 15, data_dir: Path | None = None
) -> Managed:
    """Start a throwaway redis-server: loopback only, no automatic persistence.

    With data_dir, it loads data_dir/dump.rdb when there is one, and SAVE
    writes it: a server restarted on it comes back with its data.
    """
    executable = shutil.which("redis-server")
    if executable is None:
        raise RuntimeError(REDIS_INSTALL_HINT)
    port = port or free_port()
    url = f"redis://127.0.0.1:{port}/0"
    argv = [
        executable,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
    ]
    if data_dir is not None:
        argv += ["--dir", str(data_dir), "--dbfilename", "dump.rdb"]
    managed = spawn(f"redis-{port}", argv, url, log_dir)
    try:
        # ready when the server answering is this child: another one on the port
        # (ours then fails to bind) must never be taken for it, and seeded
        return wait_ready(managed, lambda: redis_pid(url) == managed.pid, timeout_s)
    except RuntimeError:
        if "Address already in use" in managed.log_tail():
            raise RuntimeError(f"port {port} is in use: another server listens there") from None
        raise
