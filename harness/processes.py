"""Start Redis and both targets as real processes on free ports, and stop them by PID."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from service import runtime

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


M = TypeVar("M", bound="Managed")


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Managed:
    """A server process started in its own process group, so its children stop with it."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path
    stopped: bool = field(default=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def pids(self) -> list[int]:
        """The roots of the server's process trees, which the probe measures."""
        return [self.pid]

    def stop(self, grace_s: float = 30.0) -> int | None:
        """Send SIGTERM to the group, wait, then SIGKILL what is left; return the exit code."""
        if self.stopped:
            return self.process.returncode
        self.stopped = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait(timeout=10)
        finally:
            # children that outlived their parent still belong to the group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of the process's log, for error messages."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def spawn(
    name: str, argv: list[str], url: str, log_dir: Path, env: Mapping[str, str] | None = None
) -> Managed:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Managed(name=name, process=process, url=url, log_path=log_path)


def wait_ready(managed: M, ready: object, timeout_s: float) -> M:
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if managed.process.poll() is not None:
                raise RuntimeError(
                    f"{managed.name} exited with {managed.process.returncode}:\n"
                    f"{managed.log_tail()}"
                )
            if callable(ready) and ready():
                return managed
            time.sleep(0.2)
    except BaseException:
        managed.stop()  # interrupted while starting (Ctrl-C, SIGTERM): nobody else will
        raise
    managed.stop()
    raise TimeoutError(f"{managed.name} not ready after {timeout_s} s:\n{managed.log_tail()}")


def http_ready(url: str) -> bool:
    """Return True when GET url answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _serve(
    kind: str,
    argv: list[str],
    port: int,
    log_dir: Path,
    env: Mapping[str, str],
    timeout_s: float,
    ready_path: str,
) -> Managed:
    """Spawn an HTTP server on a loopback port; return it once ready_path answers 200."""
    url = f"http://127.0.0.1:{port}"
    managed = spawn(f"{kind}-{port}", argv, url, log_dir, env)
    return wait_ready(managed, lambda: http_ready(url + ready_path), timeout_s)


def start_bento(
    log_dir: Path,
    redis_url: str,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    service: str | None = None,
    timeout_s: float = 90,
    ready_path: str = "/readyz",
) -> Managed:
    """Start `bentoml serve` (production mode by default in 1.4) with bentoconfiguration.yaml."""
    port = port or free_port()
    argv = [str(BIN / "bentoml"), "serve", *([service] if service else [])]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    argv += ["--timeout-keep-alive", str(runtime.KEEP_ALIVE_S)]
    full_env = {**bento_env(log_dir, port), "REDIS_URL": redis_url, **(env or {})}
    return _serve("bento", argv, port, log_dir, full_env, timeout_s, ready_path)


def bento_env(log_dir: Path, port: int) -> dict[str, str]:
    """What every BentoML server started here runs with, whichever way it is started."""
    return {
        "BENTOML_CONFIG": str(ROOT / "bentoconfiguration.yaml"),
        # every `bentoml serve` empties $BENTOML_HOME/prometheus_multiproc_dir at
        # start, so servers sharing a home wipe each other's /metrics: one each
        "BENTOML_HOME": str(log_dir / f"bentoml-home-{port}"),
        "BENTOML_DO_NOT_TRACK": "True",
    }


def start_bare(
    log_dir: Path,
    redis_url: str,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 60,
    ready_path: str = "/readyz",
) -> Managed:
    """Start the bare Starlette app (no BentoML) under uvicorn with uvloop and httptools."""
    port = port or free_port()
    argv = [str(BIN / "uvicorn"), "bare.app:app", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--loop", "uvloop", "--http", "httptools", "--no-access-log"]
    argv += ["--timeout-graceful-shutdown", "20", "--backlog", "2048"]
    env = {"REDIS_URL": redis_url, **(env or {})}
    return _serve("bare", argv, port, log_dir, env, timeout_s, ready_path)


def start_calibration(
    log_dir: Path, port: int | None = None, timeout_s: float = 60, ready_path: str = "/readyz"
) -> Managed:
    """Start the calibration target (a fixed sleep, nothing else) as the bare app is served."""
    port = port or free_port()
    argv = [str(BIN / "uvicorn"), "bare.calibration:app", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log"]
    argv += ["--timeout-graceful-shutdown", "20", "--backlog", "2048"]
    return _serve("calibration", argv, port, log_dir, {}, timeout_s, ready_path)


def start_sync(
    log_dir: Path,
    redis_url: str,
    port: int | None = None,
    workers: int | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 60,
    ready_path: str = "/readyz",
) -> Managed:
    """Start the Flask baseline under gunicorn with its configuration file."""
    port = port or free_port()
    argv = [str(BIN / "gunicorn"), "-c", str(ROOT / "sync_baseline" / "gunicorn.conf.py")]
    argv += ["--bind", f"127.0.0.1:{port}"]
    if workers:
        argv += ["--workers", str(workers)]
    env = {"REDIS_URL": redis_url, **(env or {})}
    return _serve("sync", argv, port, log_dir, env, timeout_s, ready_path)


def start_nginx(log_dir: Path, upstream_port: int, port: int | None = None) -> Managed:
    """Start deploy/nginx/sync_baseline.conf in front of a sync target on upstream_port."""
    executable = shutil.which("nginx") or "/usr/sbin/nginx"
    port = port or free_port()
    conf = (ROOT / "deploy" / "nginx" / "sync_baseline.conf").read_text()
    conf = conf.replace("127.0.0.1:5000;", f"127.0.0.1:{upstream_port};")
    conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    conf = conf.replace("pid /tmp/nginx.pid;", f"pid {log_dir}/nginx-{port}.pid;")
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / f"nginx-{port}.conf"
    path.write_text(conf)
    argv = [executable, "-c", str(path), "-g", "daemon off;"]
    return _serve("nginx", argv, port, log_dir, {}, 15, "/livez")


@contextlib.contextmanager
def running(managed: Managed) -> Iterator[Managed]:
    """Stop the process on leaving the block, whatever happened inside."""
    try:
        yield managed
    finally:
        managed.stop()
