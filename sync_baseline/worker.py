"""gunicorn's sync worker, with a deadline to read a request and the contract's error answers.

A sync worker holds one connection from its first byte to its answer, so a
client that sends its request a byte a second holds a worker; five of them
held the whole target until gunicorn killed its workers. Here a request must
arrive, headers and body, within SCORING_REQUEST_READ_TIMEOUT_S: past it the
client gets 408 and the worker moves on. The standard production answer is
still a buffering proxy in front (deploy/nginx/sync_baseline.conf), which
hands gunicorn only requests that have fully arrived.

Requests gunicorn rejects before the app sees them get the same answer as on
uvicorn (the BentoML and bare targets): 431 in the contract's JSON for header
fields past the limits, and uvicorn's own 400 for a request it cannot parse.
"""

from __future__ import annotations

import signal
import socket
from types import FrameType
from typing import Any

from gunicorn.http.errors import LimitRequestHeaders, ParseException
from gunicorn.workers.sync import SyncWorker

from scoring import contract
from scoring.settings import settings

# byte for byte what uvicorn answers to a request its parser rejects
UNPARSEABLE = contract.UNPARSEABLE.encode()


class ReadTimedOut(Exception):
    """The request did not arrive within the read deadline."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise ReadTimedOut


def start_read_deadline() -> None:
    """Interrupt this worker's reads once the request's time to arrive has passed."""
    signal.setitimer(signal.ITIMER_REAL, settings.request_read_timeout_s)


def cancel_read_deadline() -> None:
    """The request has arrived: the time it then takes is the server's, not the client's."""
    signal.setitimer(signal.ITIMER_REAL, 0)


def _answer(status: int, reason: str, content_type: bytes, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status} {reason}\r\n".encode()
    head += b"content-type: " + content_type + b"\r\nconnection: close\r\n"
    return head + f"content-length: {len(body)}\r\n\r\n".encode() + body


def _json(message: str) -> bytes:
    return contract.encode_json(contract.error_body(message))


class ContractWorker(SyncWorker):  # type: ignore[misc]
    """A sync worker: a request must arrive within a deadline; errors in the contract's terms."""

    def init_signals(self) -> None:
        super().init_signals()
        signal.signal(signal.SIGALRM, _on_alarm)

    def handle(self, listener: Any, client: socket.socket, addr: Any) -> None:
        start_read_deadline()
        try:
            super().handle(listener, client, addr)
        finally:
            cancel_read_deadline()

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        cancel_read_deadline()
        if isinstance(exc, ReadTimedOut):
            answer = _answer(
                408,
                "Request Timeout",
                b"application/json",
                _json(contract.read_timeout_message(settings.request_read_timeout_s)),
            )
        elif isinstance(exc, LimitRequestHeaders):
            answer = _answer(
                431,
                "Request Header Fields Too Large",
                b"application/json",
                _json(contract.HEADERS_TOO_LARGE),
            )
        elif isinstance(exc, ParseException):
            answer = _answer(400, "Bad Request", b"text/plain; charset=utf-8", UNPARSEABLE)
        else:
            super().handle_error(req, client, addr, exc)  # the server's own fault: logged in full
            return
        # a client's mistake: one line, no traceback
        self.log.warning("invalid request from %s: %s", (addr or ("",))[0], type(exc).__name__)
        try:
            client.sendall(answer)
        except OSError:
            self.log.debug("could not send the error answer")
