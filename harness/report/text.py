"""Text pieces every report section uses: a number as the report prints it, a Markdown table."""

from __future__ import annotations

import math
from typing import Any


def fmt(value: Any, digits: int = 0) -> str:
    """A number with digits decimals; "-" for None or NaN; anything else as text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float | int) else str(value)


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table and the blank line after it."""
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]
