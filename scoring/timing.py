"""Per-request time breakdown, sent to clients as a Server-Timing header."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

# the parts a request's server time is split into, in report order
PARTS = ("redis", "batch_wait", "model", "hop", "app")


class Timer:
    """Collect named durations of one request and render them as Server-Timing."""

    def __init__(self) -> None:
        self._started = time.perf_counter()
        self.parts_ms: dict[str, float] = {}

    def add(self, part: str, ms: float) -> None:
        """Add ms to a part."""
        self.parts_ms[part] = self.parts_ms.get(part, 0.0) + max(ms, 0.0)

    @contextmanager
    def span(self, part: str) -> Iterator[None]:
        """Time a block into a part."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(part, (time.perf_counter() - started) * 1000)

    def header(self) -> str:
        """Render the parts, the unattributed rest ("app") and the total."""
        total = (time.perf_counter() - self._started) * 1000
        self.add("app", total - sum(self.parts_ms.values()))
        entries = [f"{name};dur={ms:.2f}" for name, ms in self.parts_ms.items()]
        return ", ".join([*entries, f"total;dur={total:.2f}"])


def parse_server_timing(header: str) -> dict[str, float]:
    """Parse a Server-Timing header written by Timer.header into {part: ms}."""
    parsed: dict[str, float] = {}
    for entry in header.split(","):
        name, _, params = entry.strip().partition(";")
        if params.startswith("dur="):
            parsed[name] = float(params[4:])
    return parsed
