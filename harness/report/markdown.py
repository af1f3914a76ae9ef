"""report.md, section by section, from a run's summary and the plots it shows."""

from __future__ import annotations

from harness.report import headline, latency, open_loop
from harness.report.explain import LITTLE_TOLERANCE, breakdown, explain, little
from harness.report.run import Run
from harness.report.served import served_from
from harness.report.text import fmt, table
from loadgen.steplog import Step
from scoring.timing import PARTS

HEADLINE_ROLES = ("baseline", "shipped")
STEP_HEADER = [
    "users",
    "rps",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "errors by status",
    "server CPU-ms/req",
    "server cores",
    "Locust cores",
    "mean batch",
    "Little: users/latency (gap)",
]
MET = {True: "yes", False: "**no**", None: "-"}
BREAKDOWN_TEXT = (
    "Server-side breakdown per request from the `Server-Timing` header of every answer "
    "(means over each ramp step): Redis lookup, waiting for a batch (including the "
    "request's trip to the model service), model execution, the rest of the model hop "
    "(response and deserialisation), the rest of the handler, and the time the client "
    "saw outside the handler (listen backlog, HTTP parsing, framework, event-loop lag). "
    "Each part is the time the handler awaited it, so on a busy event loop it also "
    "holds the time the loop spent on other requests before resuming this one."
)
PATHOLOGY_TEXT = (
    "BentoML's adaptive batcher (CorkDispatcher) counts queued *calls*, fits "
    "`duration = a * calls + b` to the batches it has seen, and sheds a call (503) "
    "when `wait + a * queued + b` would exceed max_latency_ms. Trained on batches of "
    "1 only, the fit cannot tell `a` from `b` (about half the model time each), so a "
    "fresh server whose entry suddenly sends 200 one-item calls predicts seconds and "
    "sheds (cold, second step, on the rungs with one hop per request). It also holds a "
    "batch open while `calls * (wait of the newest + a)` stays under 95% of the mean "
    "wait of past first calls, a mean learned from its own waits: after heavy load "
    "that wait sustains itself and decays slowly, so 1 user waits for nothing "
    "(low_after). Batching before the hop removes both at their cause: each entry "
    "worker sends one call per batch and waits for it, so a model service never has "
    "more calls queued than there are entry workers, the fit never predicts a deep "
    "queue, and the waits it learns from stay short. The continuous batcher in the "
    "model services removes them too, but keeps a hop per request. Each rung, on a "
    "server that had served nothing before (cold: 1 user, then all at once) and at 1 "
    "user right after its heavy runs (low_after):"
)


def step_rows(steps: list[Step]) -> list[list[str]]:
    rows = []
    for s in steps:
        predicted, gap = little(s)
        flag = " (!)" if abs(gap) > LITTLE_TOLERANCE else ""
        errors = ", ".join(f"{k}: {v}" for k, v in s["statuses"].items() if k != "200") or "0"
        rows.append(
            [
                str(s["users"]),
                fmt(s["rps"]),
                fmt(s["p50_ms"]),
                fmt(s["p95_ms"]),
                fmt(s["p99_ms"]),
                errors,
                fmt(s["server_cpu_ms_per_request"], 1),
                fmt(s["server_cpu_cores"], 2),
                fmt(s["loadgen_cpu_cores"], 2),
                fmt(s.get("mean_batch_size"), 1),
                f"{fmt(predicted)} ({gap:+.0%}){flag}",
            ]
        )
    return rows


def _head(run: Run) -> list[str]:
    env = run.environment
    return [
        f"# {headline.title(run)}",
        "",
        *headline.summary_section(run),
        f"Run `{run.summary['command']}`, {run.summary['started']} to {run.summary['finished']}, "
        f"profile **{run.summary['profile']['name']}**, on {env['cpu_model']} with "
        f"**{env['cores']} cores** and {env['memory_gib']} GiB; server, Redis and Locust "
        f"({run.summary['locust_processes']} process(es)) share that machine. "
        f"Code: {headline.code_version(env)}.",
        "",
    ]


def _targets(run: Run) -> list[str]:
    return [
        "## Targets",
        "",
        *_costed(run),
        *table(
            ["target", "measured", "met"],
            [[t["name"], t["measured"], MET[t["met"]]] for t in run.summary["targets"]],
        ),
    ]


def _costed(run: Run) -> list[str]:
    """Say when the run's model costs more per item than the one the targets were set for."""
    per_item = run.summary["settings"].get("model_item_cost_ms", 0.0)
    if not per_item:
        return []
    return [
        "The targets are set for the project's sleeping model, whose batch of any size costs "
        f"a batch of one; this run's model costs {per_item:g} ms more per item, so read "
        "them as figures of that model, not as verdicts on the service.",
        "",
    ]


def _ladder(run: Run, plots: list[str]) -> list[str]:
    lines = [
        f"## The ablation ladder at {run.users} closed-loop users",
        "",
        "Each rung is a configuration of the same code, measured in this run on the same "
        "machine after its own warm-up. Little's law column: users / mean latency, the "
        "throughput a closed loop with no think time must show; a gap over "
        f"{LITTLE_TOLERANCE:.0%} is flagged (!).",
        "",
    ]
    base_name = run.named("baseline")
    base = run.step(base_name, "ladder") if base_name else None
    rows = []
    for name, rung in run.rungs.items():
        s = run.step(name, "ladder")
        if s:
            ratio = f"{s['rps'] / base['rps']:.2f}x" if base and base["rps"] else "-"
            rows.append(
                [
                    f"**{name}**: {rung['title']}",
                    rung["resources"],
                    rung["isolates"],
                    ratio,
                    *step_rows([s])[0][1:],
                ]
            )
    lines += table(["rung", "resources", "isolates", "vs baseline", *STEP_HEADER[1:]], rows)
    if "ladder.png" in plots:
        lines += ["![ladder](ladder.png)", ""]
    lines += ["## Where the delta comes from", "", *explain(run), ""]
    if "breakdown.png" in plots:
        lines += [BREAKDOWN_TEXT, "", "![breakdown](breakdown.png)", ""]
    if "memory.png" in plots:
        lines += ["![memory](memory.png)", ""]
    return lines


def _experiments(run: Run, name: str) -> list[str]:
    rung = run.rungs[name]
    lines = [f"## {name}: the four experiments", "", rung["resources"], ""]
    for exp_name, exp in rung["experiments"].items():
        if exp.get("shape") == "sweep":  # open loop: its own section
            continue
        title = exp_name
        if exp_name == "ramp":
            title += (
                f" (breaking point: {exp['breaking_point']} users, {exp.get('breaking_reason')})"
                if exp["breaking_point"]
                else " (no breaking point within the levels)"
            )
        lines += [f"### {title}", "", *table(STEP_HEADER, step_rows(exp["steps"]))]
    ramp = rung["experiments"].get("ramp")
    parts_rows = [
        [str(s["users"]), *(fmt(v, 1) for v in breakdown(s).values())]
        for s in (ramp["steps"] if ramp else [])
    ]
    if parts_rows:
        lines += [f"Breakdown (mean ms) over the ramp, {name}:", ""]
        lines += table(["users", *PARTS, "outside handler"], parts_rows)
    return lines


def _pathologies(run: Run) -> list[str]:
    rows = []
    for name in [n for n, r in run.rungs.items() if r.get("batching")]:
        experiments = run.rungs[name]["experiments"]
        for exp_name in ("cold", "low_after"):
            if exp_name in experiments:
                rows += [
                    [name, exp_name, *row] for row in step_rows(experiments[exp_name]["steps"])
                ]
    if not rows:
        return []
    return [
        "## The adaptive batcher's two pathologies, and what removes them",
        "",
        PATHOLOGY_TEXT,
        "",
        *table(["rung", "experiment", *STEP_HEADER], rows),
    ]


def _reproduce(run: Run) -> list[str]:
    env = run.environment
    return [
        "## Reproduce",
        "",
        f"`{run.summary['command']}`; settings: `{run.summary['settings']}`.",
        "",
        f"Python {env['python']}, {env['os']}, {env['redis_server']}; packages: "
        + ", ".join(f"{k} {v}" for k, v in env["packages"].items()),
        "",
        "Raw Locust CSV and HTML per rung and experiment are written beside the run's report "
        "under results/; curated runs in docs/results/ keep the report, plots and summary.json.",
    ]


def render(run: Run, plots: list[str]) -> str:
    """Write the report as Markdown."""
    lines = [
        *_head(run),
        *open_loop.capacity_section(run, plots),
        *latency.few_section(run),
    ]
    lines += _ladder(run, plots)
    lines += served_from(run)
    for role in HEADLINE_ROLES:
        name = run.named(role)
        if name:
            lines += _experiments(run, name)
    for plot in ("ramp.png", "batch_size.png", "soak.png"):
        if plot in plots:
            lines += [f"![{plot[:-4]}]({plot})", ""]
    lines += [*_pathologies(run), *_targets(run), *_reproduce(run)]
    return "\n".join(lines) + "\n"
