"""A run's summary, read once for the report: rungs by role, steps by experiment, sweeps by rate.

The report modules take a Run, built once from summary.json (harness.summary),
and never walk the raw dictionary themselves.
"""

from __future__ import annotations

from typing import Any

from harness.summary import ExperimentResult, RungResult, Summary
from loadgen.steplog import Step

DEFAULT_SLO_P99_MS = 250.0


class Run:
    """What a comparison measured, with the lookups every report section makes."""

    def __init__(self, summary: Summary) -> None:
        self.summary = summary
        self.rungs: dict[str, RungResult] = summary["rungs"]
        self.environment: dict[str, Any] = summary["environment"]
        self.cores: int = self.environment["cores"]
        self.users: int = summary["users"]
        # the open-loop sweep's p99 bound
        self.slo_ms: float = summary.get("sweep_slo_p99_ms", DEFAULT_SLO_P99_MS)
        self._by_role: dict[str, str] = {}
        for name, rung in self.rungs.items():
            if rung.get("role"):
                self._by_role.setdefault(rung["role"], name)
        # each swept rung's points, by offered rate
        self.swept: dict[str, list[Step]] = {
            name: _by_rate(r["experiments"]["sweep"]["steps"])
            for name, r in self.rungs.items()
            if "sweep" in r["experiments"] and r.get("role") != "calibration"
        }
        # the calibration rung's points: what the generator and machine add at each rate
        calibration = self.named("calibration")
        sweep = self.experiment(calibration, "sweep") if calibration else None
        self.calibration: list[Step] = _by_rate(sweep["steps"] if sweep else [])

    def named(self, role: str) -> str | None:
        """The name of the run's rung with this role, or None when it did not run."""
        return self._by_role.get(role)

    def experiment(self, name: str, experiment: str) -> ExperimentResult | None:
        """A rung's experiment, or None when it did not run."""
        return self.rungs[name]["experiments"].get(experiment)

    def step(self, name: str, experiment: str, index: int = 0) -> Step | None:
        """One step of a rung's experiment, or None when it did not run."""
        found = self.experiment(name, experiment) if name in self.rungs else None
        steps = found["steps"] if found else []
        return steps[index] if -len(steps) <= index < len(steps) else None

    def role_step(self, role: str, experiment: str, index: int = 0) -> Step | None:
        """One step of the experiment of the rung with this role."""
        name = self.named(role)
        return self.step(name, experiment, index) if name else None


def _by_rate(steps: list[Step]) -> list[Step]:
    """Open-loop points in the order of their offered rates."""
    return sorted(steps, key=lambda s: s["open_loop"]["offered_rps"])
