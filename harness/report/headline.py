"""The report's opening: its title, and the headline with the conditions it holds under."""

from __future__ import annotations

from typing import Any

from harness.report import capacity, latency
from harness.report.run import Run


def code_version(env: dict[str, Any]) -> str:
    """The commit a run's code came from, as the report names it."""
    commit = env.get("commit")
    if not commit:
        return "commit not recorded"
    return f"commit `{commit[:12]}`" + (", with uncommitted changes" if env.get("dirty") else "")


def title(run: Run) -> str:
    """The report's title: what it compares, and which run."""
    commit = run.environment.get("commit")
    of_code = f" of {commit[:12]}" if commit else ""
    profile, started = run.summary["profile"]["name"], run.summary["started"]
    return f"BentoML vs Flask: {profile} run {started}{of_code}"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.1f}x" if a and b else "-"


def _conditions(run: Run) -> str:
    env, config = run.environment, run.summary["settings"]
    base = run.named("baseline")
    copies = run.rungs[base]["workers"] if base else "?"
    low, high = config.get("model_sleep_min_ms"), config.get("model_sleep_max_ms")
    spread = f"{low:g}-{high:g}" if low is not None and high is not None else ""
    spread = f"{low:g}" if low is not None and low == high else spread
    cost = (
        f"each model sleeps {spread} ms per call or batch, plus "
        f"{config.get('model_item_cost_ms', 0.0):g} ms per item; "
        if low is not None and high is not None
        else ""
    )
    return (
        f"Conditions: {env['cores']} cores shared by the servers, Redis and Locust "
        f"({run.summary['locust_processes']} process(es)); {cost}the Flask baseline holds "
        f"{copies} copies of each model (one per worker), every BentoML rung one; "
        f"{code_version(env)}."
    )


def summary_section(run: Run) -> list[str]:
    """The opening paragraph: the headline figures of this run and their conditions."""
    main, base = run.named("shipped"), run.named("baseline")
    if not (main and base):
        return [_conditions(run), ""]
    main_ladder, base_ladder = run.step(main, "ladder"), run.step(base, "ladder")
    main_cap, base_cap = capacity.capacity(run, main), capacity.capacity(run, base)
    few = latency.few_steps(run, main).get(2)
    base_few = latency.few_steps(run, base).get(2)
    closed = (
        f"At {run.users} closed-loop users the shipped BentoML service ({main}) made "
        f"{main_ladder['rps']:.0f} rps against the Flask baseline's {base_ladder['rps']:.0f} "
        f"({_ratio(main_ladder['rps'], base_ladder['rps'])}). "
        if main_ladder and base_ladder
        else ""
    )
    slo = (
        f"Under a p99 <= {run.slo_ms:.0f} ms SLO with Poisson arrivals it "
        f"carried {main_cap:.0f} rps against {base_cap:.0f} ({_ratio(main_cap, base_cap)}). "
        if main_cap and base_cap
        else ""
    )
    shared = run.named("equal-capacity")
    shared_ladder = run.step(shared, "ladder") if shared else None
    equal = (
        f"At equal model capacity (the baseline's workers sharing one copy of each model, "
        f"{shared}) Flask made {shared_ladder['rps']:.0f} rps "
        f"({_ratio(main_ladder['rps'], shared_ladder['rps'])} in BentoML's favour). "
        if shared_ladder and main_ladder
        else ""
    )
    callers = (
        f"At 2 closed-loop callers its p50 was {few['p50_ms']:.0f} ms against Flask's "
        f"{base_few['p50_ms']:.0f}. "
        if few and base_few
        else ""
    )
    return [f"{closed}{equal}{slo}{callers}{_conditions(run)}", ""]
