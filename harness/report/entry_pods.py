"""The report of harness.entry_pods: its conditions, then a row per configuration and load."""

from __future__ import annotations

import math
import statistics
from typing import Any

from scoring.settings import Settings

# runs before --max-batch-size existed used the setting's default
DEFAULT_BATCH = Settings.model_fields["max_batch_size"].default


def _shown(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def report(summary: dict[str, Any]) -> str:
    """The run as Markdown: conditions, then one row per batcher and load."""
    conditions, machine = summary["conditions"], summary["environment"]
    lines = [
        f"# {conditions['pods']} entry pods on one ModelA and one ModelB",
        "",
        f"`{summary['command']}` at commit `{machine['commit']}`"
        f"{' (dirty tree)' if machine['dirty'] else ''}: every server a process on "
        f"this machine's {machine['cores']} cores with the load's client (aiohttp, one "
        f"process), {conditions['seconds']:g} s a point, batches of at most "
        f"{conditions.get('max_batch_size', DEFAULT_BATCH)} items, each batcher measured "
        f"{conditions['repeats']} time(s), interleaved. Median over repeats, answers summed; "
        "open-loop latency from the scheduled send.",
        "",
        "| configuration | load | answers | rps | p50 ms | p99 ms | "
        "entry batches per ModelA call | items per ModelA call |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    labels = list(dict.fromkeys(p["load"] for p in summary["points"]))
    for batcher in conditions["batchers"]:
        for label in labels:
            rows = [p for p in summary["points"] if (p["batcher"], p["load"]) == (batcher, label)]

            def median(key: str, rows: list[dict[str, Any]] = rows) -> float:
                found = [r[key] for r in rows if r.get(key) is not None]
                return float(statistics.median(found)) if found else math.nan

            lines.append(
                f"| {batcher} | {label} | {sum(r['answers'] for r in rows)} | "
                f"{median('rps'):.0f} | {median('p50_ms'):.0f} | {median('p99_ms'):.0f} | "
                f"{median('batches_per_call'):.2f} | {_shown(median('items_per_call'))} |"
            )
    return "\n".join(lines) + "\n"
