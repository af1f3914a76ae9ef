"""How long a request waited for a worker, read from the kernel.

A sync worker takes one connection at a time; the others wait in the listen
backlog, where no Python code sees them. On Linux, TCP_INFO of an accepted
connection tells the milliseconds since its last data arrived: for a request
sent whole as soon as the connection opened, that is its wait for a worker.
gunicorn's sync workers close every connection after one answer, so the
data is always the current request's.
"""

from __future__ import annotations

import socket
import struct

# offset of tcpi_last_data_recv (u32, ms) in struct tcp_info, linux/tcp.h;
# the struct only grows at its end, so the offset is stable across kernels
_LAST_DATA_RECV = 52
_TCP_INFO_LEN = 104


def queue_wait_ms(sock: socket.socket | None) -> float | None:
    """Return the ms since the request's last bytes arrived, or None where unknown."""
    option = getattr(socket, "TCP_INFO", None)
    if sock is None or option is None:
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, option, _TCP_INFO_LEN)
    except OSError:  # not TCP: a unix socket, or a closed one
        return None
    if len(info) < _LAST_DATA_RECV + 4:
        return None
    waited: int = struct.unpack_from("I", info, _LAST_DATA_RECV)[0]
    return float(waited)
