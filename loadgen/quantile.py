"""How sure a measured percentile is: the order-statistic confidence interval.

For n independent samples, the number that fall below the true q-quantile is
Binomial(n, q), whatever the distribution; so the interval between two order
statistics, chosen from that binomial, holds the true quantile with the stated
confidence. With too few samples one side has no order statistic and is
unbounded: a p99 from 100 samples can be bounded above only by infinity.
"""

from __future__ import annotations

import math
from typing import Literal

Verdict = Literal["meets", "fails", "undecided"]


def _binomial_cdf(n: int, p: float) -> list[float]:
    """P(X <= k) for k = 0..n, X ~ Binomial(n, p), 0 < p < 1."""
    log_p, log_q = math.log(p), math.log1p(-p)
    cdf, total = [], 0.0
    for k in range(n + 1):
        log_pmf = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
        total += math.exp(log_pmf + k * log_p + (n - k) * log_q)
        cdf.append(min(total, 1.0))
    return cdf


def bounds(values: list[float], q: float, confidence: float = 0.95) -> tuple[float, float]:
    """The interval holding the true q-quantile (0 < q < 1) of what values sample, at the
    given confidence: (lower, upper), either side infinite when too few samples bound it."""
    n = len(values)
    if n == 0:
        return -math.inf, math.inf
    ordered = sorted(values)
    cdf = _binomial_cdf(n, q)
    tail = (1 - confidence) / 2
    # lower: the largest order statistic l (1-based) with P(X < l) = cdf[l - 1] <= tail
    lower_rank = max((k + 1 for k in range(n) if cdf[k] <= tail), default=0)
    # upper: the smallest order statistic u with P(X >= u) = 1 - cdf[u - 1] <= tail
    upper_rank = min((k + 1 for k in range(n) if 1 - cdf[k] <= tail), default=n + 1)
    lower = ordered[lower_rank - 1] if lower_rank >= 1 else -math.inf
    upper = ordered[upper_rank - 1] if upper_rank <= n else math.inf
    return lower, upper


def verdict(lower: float, upper: float, limit: float) -> Verdict:
    """Whether a quantile with this interval is within the limit, over it, or not yet known."""
    if upper <= limit:
        return "meets"
    if lower > limit:
        return "fails"
    return "undecided"


def fewest_samples(q: float, confidence: float = 0.95) -> int:
    """The fewest samples whose q-quantile has an upper bound at all (q**n <= the tail)."""
    return math.ceil(math.log((1 - confidence) / 2) / math.log(q))
