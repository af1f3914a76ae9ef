"""The rate sweep: offered rates rising geometrically until the SLO breaks, then a bisection.

Pure logic, free of Locust: the sweep shape asks it for the next rate and
tells it whether that rate met the SLO; capacity is the highest rate that did.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Sweep:
    """Which offered rate to measure next."""

    start: float
    factor: float = 2.0
    bisections: int = 3
    max_rate: float = 10_000.0
    good: float | None = None  # highest rate whose p99 estimate met the SLO
    confirmed: float | None = None  # highest rate whose p99 was decided within the SLO
    bad: float | None = None  # lowest rate that did not
    tried: list[float] = field(default_factory=list)
    bisected: int = 0  # points measured between good and bad
    # the rate at which the generator could not keep its schedule, twice: the sweep
    # ends there, and capacity is a lower bound
    generator_limit: float | None = None
    _retried: float | None = None

    def next_rate(self) -> float | None:
        """The next offered rate, or None when the sweep is done."""
        if self.generator_limit is not None:
            return None
        if self._retried is not None and self._retried not in self.tried:
            return self._retried  # once more: a burst of OS delay is not a limit
        if self.bad is None:  # rising
            rate = self.start if self.good is None else self.good * self.factor
            return rate if rate <= self.max_rate else None
        if self.good is None:  # even the first rate broke: fall until one holds
            rate = self.bad / self.factor
            return rate if rate >= self.start / self.factor**4 else None
        if self.bisected >= self.bisections:
            return None
        return round(math.sqrt(self.good * self.bad), 1)  # geometric midpoint

    def invalid(self, rate: float) -> None:
        """Say the generator fell behind its schedule at this rate: retried once, then the end."""
        if self._retried == rate:
            self.generator_limit = rate
        else:
            self._retried = rate

    def record(self, rate: float, met: bool, decided: bool = True) -> None:
        """Say whether the rate's p99 estimate met the SLO, and whether that was decided at
        95% confidence (else the sweep goes on as if met, but capacity is not claimed)."""
        if self.good is not None and self.bad is not None:
            self.bisected += 1
        self.tried.append(rate)
        if met:
            self.good = max(self.good or 0.0, rate)
            if decided:
                self.confirmed = max(self.confirmed or 0.0, rate)
        else:
            self.bad = min(self.bad or math.inf, rate)

    @property
    def capacity(self) -> float | None:
        """The highest offered rate whose p99 was decided within the SLO."""
        return self.confirmed
