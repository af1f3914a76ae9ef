"""Processes or containers: where the run served its targets, and what the image changed."""

from __future__ import annotations

from harness.report.run import Run
from harness.report.text import fmt, table


def served_from(run: Run) -> list[str]:
    """The section saying how the targets ran, with each container rung beside its process twin."""
    pairs = [(r["twin"], name) for name, r in run.rungs.items() if r.get("twin")]
    lines = ["## Processes or containers", ""]
    if not pairs:
        return [
            *lines,
            "Every configuration ran as processes on the host "
            "(`--containers` serves the baseline and the shipped target from their images "
            "too).",
            "",
        ]
    lines += [
        "Every configuration ran as processes on the host; the targets below ran again from "
        "their images (podman, `--network host`), at the ladder's users, minutes apart from "
        "their process runs on a noisy machine:",
        "",
    ]
    rows = []
    for twin, name in pairs:
        process, container = run.step(twin, "ladder"), run.step(name, "ladder")
        if process and container:
            ratio = container["rps"] / process["rps"] if process["rps"] else float("nan")
            image = run.rungs[name]["resources"].rpartition("; from image ")[2]
            rows.append(
                [
                    twin,
                    image,
                    fmt(process["rps"]),
                    fmt(container["rps"]),
                    f"{ratio:.2f}x",
                    fmt(process["p50_ms"]),
                    fmt(container["p50_ms"]),
                    fmt(process["server_cpu_ms_per_request"], 2),
                    fmt(container["server_cpu_ms_per_request"], 2),
                ]
            )
    header = [
        "target",
        "image and limits",
        "processes rps",
        "container rps",
        "container / processes",
        "p50 ms, processes",
        "p50 ms, container",
        "CPU-ms/req, processes",
        "CPU-ms/req, container",
    ]
    return [*lines, *table(header, rows)]
