"""Processes or containers: where the run served its targets, and what the image changed."""

from __future__ import annotations

from harness.report.capacity import capacity_text
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
        "their images (podman, `--network host`), at the ladder's users and in the open-loop "
        "sweep, minutes apart from their process runs on a noisy machine. The per-service "
        "run serves the entry, ModelA and ModelB each in its own container, as "
        "`deploy/k8s/per-service` runs them in their own pods; its CPU is that of all three.",
        "",
    ]
    rows = [row for twin, name in pairs if (row := _row(run, twin, name))]
    header = [
        "served from its image",
        "beside",
        "image and limits",
        "processes rps",
        "image rps",
        "image / processes",
        "capacity rps, processes",
        "capacity rps, image",
        "p50 ms, processes",
        "p50 ms, image",
        "CPU-ms/req, processes",
        "CPU-ms/req, image",
    ]
    return [*lines, *table(header, rows)]


def _row(run: Run, twin: str, name: str) -> list[str] | None:
    """A rung served from its image beside its process twin, or None where one is missing."""
    process, container = run.step(twin, "ladder"), run.step(name, "ladder")
    if not (process and container):
        return None
    ratio = container["rps"] / process["rps"] if process["rps"] else float("nan")
    return [
        name,
        twin,
        run.rungs[name]["resources"].rpartition("; from image ")[2],
        fmt(process["rps"]),
        fmt(container["rps"]),
        f"{ratio:.2f}x",
        _capacity(run, twin),
        _capacity(run, name),
        fmt(process["p50_ms"]),
        fmt(container["p50_ms"]),
        fmt(process["server_cpu_ms_per_request"], 2),
        fmt(container["server_cpu_ms_per_request"], 2),
    ]


def _capacity(run: Run, name: str) -> str:
    """The open-loop capacity under the SLO, or a dash where the rung was not swept."""
    return capacity_text(run, name) if run.experiment(name, "sweep") else "-"
