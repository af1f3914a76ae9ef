"""Turn a comparison's summary into report.md, report.html and plots."""

from __future__ import annotations

import html
import math
import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from harness.steps import rss_growth
from scoring.timing import PARTS

LITTLE_TOLERANCE = 0.15
HEADLINE_ROLES = ("baseline", "shipped")


def rung_named(summary: dict[str, Any], role: str) -> str | None:
    """Return the name of the run's rung with this role, or None when it did not run."""
    return next((n for n, r in summary["rungs"].items() if r.get("role") == role), None)


def _color(summary: dict[str, Any], name: str) -> str:
    return str(summary["rungs"].get(name, {}).get("color") or "grey")


def _step(summary: dict[str, Any], rung: str, experiment: str, index: int = 0) -> dict[str, Any]:
    try:
        step: dict[str, Any] = summary["rungs"][rung]["experiments"][experiment]["steps"][index]
        return step
    except (KeyError, IndexError):
        return {}


def _target(name: str, measured: str, met: bool | None, **extra: Any) -> dict[str, Any]:
    return {"name": name, "measured": measured, "met": met, **extra}


def check_targets(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Compare the run with the project's performance targets; met is None when not measured."""
    users = summary["users"]
    base_name, main_name = rung_named(summary, "baseline"), rung_named(summary, "shipped")
    base = _step(summary, base_name or "", "ladder")
    main = _step(summary, main_name or "", "ladder")
    edge = _step(summary, rung_named(summary, "edge") or "", "ladder")
    ceiling = _step(summary, rung_named(summary, "ceiling") or "", "ladder")
    targets = []
    if base and main:
        ratio = main["rps"] / max(base["rps"], 1e-9)
        targets.append(_target(
            f"{main_name} >= 10x {base_name} throughput at {users} users, zero errors",
            f"{main['rps']:.0f} vs {base['rps']:.0f} rps = {ratio:.2f}x; "
            f"{main['failures']} errors",
            ratio >= 10 and main["failures"] == 0,
        ))  # fmt: skip
    if main:
        cpu = main["server_cpu_ms_per_request"]
        targets.append(_target(
            f"{main_name}: server CPU <= 2.0 ms per request at {users} users, all its processes",
            f"{cpu:.2f} ms on {main['server_cpu_cores']:.2f} cores", cpu <= 2.0,
        ))  # fmt: skip
    if main and edge:
        share = main["rps"] / max(edge["rps"], 1e-9)
        targets.append(_target(
            f"{main_name} >= 85% of the edge service's throughput at {users} users",
            f"{main['rps']:.0f} vs {edge['rps']:.0f} rps = {share:.0%}", share >= 0.85,
        ))  # fmt: skip
    cold = _step(summary, main_name or "", "cold", 1)
    if cold:
        shed = cold["statuses"].get("503", 0)
        targets.append(_target(
            f"{main_name}: a fresh server seeing 1 user then {cold['users']} at once answers "
            "no 503",
            f"{shed} x 503, {cold['error_rate']:.1%} errors, {cold['rps']:.0f} rps", shed == 0,
        ))  # fmt: skip
    for experiment, when in (("cold", "on a fresh server"), ("low_after", "after ramp and stress")):
        step = _step(summary, main_name or "", experiment)
        if step:
            targets.append(_target(
                f"{main_name}: p50 at 1 user <= 60 ms {when}", f"{step['p50_ms']:.0f} ms",
                step["p50_ms"] <= 60,
            ))  # fmt: skip
    bento = [(n, _step(summary, n, "ladder")) for n, r in summary["rungs"].items()
             if r.get("kind") == "bento"]  # fmt: skip
    best = max(((n, s["rps"]) for n, s in bento if s and s["error_rate"] <= 0.01),
               key=lambda item: item[1], default=None)  # fmt: skip
    if best and ceiling:
        share = best[1] / max(ceiling["rps"], 1e-9)
        targets.append(_target(
            f"best BentoML configuration >= 60% of the bare Starlette rung at {users} users",
            f"{best[1]:.0f} rps ({best[0]}) vs {ceiling['rps']:.0f} = {share:.0%}", share >= 0.6,
        ))  # fmt: skip
    slo = summary.get("slo") or {}
    if main and slo.get("p95_ms") is not None:
        targets.append(_target(
            f"SLO: {main_name} p95 at {users} users <= {slo['p95_ms']:.0f} ms",
            f"{main['p95_ms']:.0f} ms", main["p95_ms"] <= slo["p95_ms"], slo=True,
        ))  # fmt: skip
    if main and slo.get("error_rate") is not None:
        targets.append(_target(
            f"SLO: {main_name} errors at {users} users <= {slo['error_rate']:.1%}",
            f"{main['error_rate']:.2%}", main["error_rate"] <= slo["error_rate"], slo=True,
        ))  # fmt: skip
    for rung, step in _soaks(summary).items():
        failures = step["failures"]  # not-ok answers: non-200s and 200s with wrong scores
        growth = rss_growth(step.get("rss_mb_by_process", {}))
        label, worst = max(growth.items(), key=lambda item: item[1], default=("-", math.nan))
        targets.append(_target(
            f"{rung}: soak at {step['users']} users (70% of its breaking point): zero "
            "errors, every server process's memory grows < 10% after warm-up",
            f"{failures} errors in {step['requests']} requests; largest RSS growth "
            f"{worst:+.1%} ({label}) of {len(growth)} processes",
            failures == 0 and bool(growth) and worst < 0.10,
        ))  # fmt: skip
    return targets


def _soaks(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: step for name in summary["rungs"] if (step := _step(summary, name, "soak"))}


def little(step: dict[str, Any]) -> tuple[float, float]:
    """Closed loop, no think time: throughput = users / mean latency. Return it and the gap."""
    predicted = step["users"] / (step["mean_ms"] / 1000) if step.get("mean_ms") else math.nan
    return predicted, step["rps"] / predicted - 1 if predicted else math.nan


def explain_gap(step: dict[str, Any], cores: int) -> str | None:
    """Say why measured throughput and users / latency disagree, for a flagged step."""
    _, gap = little(step)
    if math.isnan(gap) or abs(gap) <= LITTLE_TOLERANCE:
        return None
    if step["mean_ms"] * 2 > step["duration_s"] * 1000:
        return (f"latency ({step['mean_ms']:.0f} ms) is over half the measured "
                f"{step['duration_s']:.0f} s: the step ended before the closed loop reached "
                "steady state; a longer profile (--profile full) measures it")  # fmt: skip
    if (
        step["loadgen_cpu_cores"] > 0.9
        or step["server_cpu_cores"] + step["loadgen_cpu_cores"] > cores
    ):
        return "the load generator had no CPU left: time between requests was spent in Locust"
    if step["p99_ms"] > 5 * step["p50_ms"]:
        return (f"a few slow requests (p99 {step['p99_ms']:.0f} ms against p50 "
                f"{step['p50_ms']:.0f} ms) dominate the mean; at {step['users']} user(s) the "
                "first answers waited behind work left from the previous experiment")  # fmt: skip
    return "the gap stays unexplained by the recorded numbers"


def _fmt(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float | int) else str(value)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]


def _breakdown(step: dict[str, Any]) -> dict[str, float]:
    """Mean ms per part, plus what the client saw beyond the server's own total."""
    timing = step.get("server_timing_ms", {})
    parts = {p: timing.get(p, 0.0) for p in PARTS}
    parts["outside handler"] = max(step.get("mean_ms", 0.0) - timing.get("total", 0.0), 0.0)
    return parts


def _plots(summary: dict[str, Any], out: Path) -> list[str]:
    made = []
    ramps = {n: r["experiments"]["ramp"]["steps"] for n, r in summary["rungs"].items()
             if "ramp" in r["experiments"]}  # fmt: skip
    if ramps:
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
        for name, steps in ramps.items():
            users = [s["users"] for s in steps]
            color = _color(summary, name)
            axes[0].plot(users, [s["rps"] for s in steps], "o-", color=color, label=name)
            for q, style in (("p50_ms", "o-"), ("p95_ms", "s--"), ("p99_ms", "^:")):
                axes[1].plot(users, [s[q] for s in steps], style, color=color,
                             label=f"{name} {q[:-3]}")  # fmt: skip
            axes[2].plot(users, [100 * s["error_rate"] for s in steps], "o-", color=color,
                         label=name)  # fmt: skip
        for ax, title in zip(axes, ("throughput (rps)", "latency (ms)", "errors (%)"),
                             strict=True):  # fmt: skip
            ax.set_xscale("log")
            ax.set_xlabel("concurrent users (closed loop)")
            ax.set_title(title)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        axes[1].set_yscale("log")
        fig.tight_layout()
        fig.savefig(out / "ramp.png", dpi=90)
        plt.close(fig)
        made.append("ramp.png")

        fig, axes = plt.subplots(1, len(ramps), figsize=(7 * len(ramps), 4.2), squeeze=False)
        for ax, (name, steps) in zip(axes[0], ramps.items(), strict=True):
            labels = [str(s["users"]) for s in steps]
            bottom = [0.0] * len(steps)
            for part in [*PARTS, "outside handler"]:
                values = [_breakdown(s)[part] for s in steps]
                ax.bar(labels, values, bottom=bottom, label=part)
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
            ax.set_title(f"{name}: where a request's time goes (mean ms)")
            ax.set_xlabel("concurrent users")
            ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "breakdown.png", dpi=90)
        plt.close(fig)
        made.append("breakdown.png")

        batched = {n: s for n, s in ramps.items() if any(x.get("mean_batch_size") for x in s)}
        if batched:
            fig, ax = plt.subplots(figsize=(6, 4))
            for name, steps in batched.items():
                ax.plot([s["users"] for s in steps],
                        [s.get("mean_batch_size") or 0 for s in steps], "o-",
                        color=_color(summary, name), label=name)  # fmt: skip
            ax.set_xscale("log")
            ax.set_xlabel("concurrent users")
            ax.set_ylabel("mean batch size")
            ax.grid(alpha=0.3)
            ax.legend()
            fig.tight_layout()
            fig.savefig(out / "batch_size.png", dpi=90)
            plt.close(fig)
            made.append("batch_size.png")

    ladder = {n: _step(summary, n, "ladder") for n in summary["rungs"]}
    ladder = {n: s for n, s in ladder.items() if s}
    if ladder:
        fig, axes = plt.subplots(1, 2, figsize=(12, 4))
        names = list(ladder)
        colors = [_color(summary, n) for n in names]
        axes[0].bar(names, [ladder[n]["rps"] for n in names], color=colors)
        axes[0].set_title(f"throughput at {summary['users']} users (rps)")
        axes[1].bar(names, [ladder[n]["server_cpu_ms_per_request"] for n in names], color=colors)
        axes[1].set_title("server CPU-ms per request")
        for ax in axes:
            ax.tick_params(axis="x", labelrotation=20)
        fig.tight_layout()
        fig.savefig(out / "ladder.png", dpi=90)
        plt.close(fig)
        made.append("ladder.png")

    soaks = _soaks(summary)
    if soaks:
        fig, axes = plt.subplots(1, len(soaks), figsize=(7 * len(soaks), 4.2), squeeze=False)
        window_s = summary.get("profile", {}).get("window_s")
        for ax, (name, step) in zip(axes[0], soaks.items(), strict=True):
            for label, values in step.get("rss_mb_by_process", {}).items():
                x = [i * window_s / 60 if window_s else i for i in range(len(values))]
                ax.plot(x, values, label=label)
            ax.set_title(f"{name}: soak at {step['users']} users")
            ax.set_xlabel("minutes after warm-up" if window_s else "measurement window")
            ax.set_ylabel("resident memory (MiB)")
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "soak.png", dpi=90)
        plt.close(fig)
        made.append("soak.png")
    return made


def _step_rows(steps: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for s in steps:
        predicted, gap = little(s)
        flag = " (!)" if abs(gap) > LITTLE_TOLERANCE else ""
        errors = ", ".join(f"{k}: {v}" for k, v in s["statuses"].items() if k != "200") or "0"
        rows.append([
            str(s["users"]), _fmt(s["rps"]), _fmt(s["p50_ms"]), _fmt(s["p95_ms"]),
            _fmt(s["p99_ms"]), errors, _fmt(s["server_cpu_ms_per_request"], 1),
            _fmt(s["server_cpu_cores"], 2), _fmt(s["loadgen_cpu_cores"], 2),
            _fmt(s.get("mean_batch_size"), 1), f"{_fmt(predicted)} ({gap:+.0%}){flag}",
        ])  # fmt: skip
    return rows


STEP_HEADER = ["users", "rps", "p50 ms", "p95 ms", "p99 ms", "errors by status",
               "server CPU-ms/req", "server cores", "Locust cores", "mean batch",
               "Little: users/latency (gap)"]  # fmt: skip


def _explain(summary: dict[str, Any]) -> list[str]:
    """Sentences written from the measured numbers, rung by rung."""
    lines = []
    ladder = {n: _step(summary, n, "ladder") for n in summary["rungs"]}
    ladder = {n: s for n, s in ladder.items() if s}
    base_name = rung_named(summary, "baseline") or ""
    base = ladder.get(base_name)
    if base:
        t = base.get("server_timing_ms", {})
        n_workers = summary["rungs"][base_name]["workers"]
        service_s = t.get("total", math.nan) / 1000
        lines.append(
            f"- **{base_name}**: each of the {n_workers} workers holds a request for its whole "
            f"service time ({t.get('total', math.nan):.0f} ms: {t.get('model', math.nan):.0f} ms "
            f"in the two model calls, {t.get('redis', math.nan):.1f} ms in Redis), so capacity "
            f"is workers / service time = {n_workers / service_s:.0f} rps; measured "
            f"{base['rps']:.0f} rps. At {base['users']} users the other requests wait in the "
            f"listen backlog: {_breakdown(base)['outside handler']:.0f} ms of the "
            f"{base['mean_ms']:.0f} ms mean latency is outside the handler."
        )
    previous = base
    for name in [n for n in ladder if n != base_name]:
        step = ladder.get(name)
        if not step or not previous or not previous["rps"] or not base:
            continue
        rung = summary["rungs"][name]
        t = step.get("server_timing_ms", {})
        lines.append(
            f"- **{name}** ({rung['isolates']}): {step['rps']:.0f} rps, "
            f"{step['rps'] / max(previous['rps'], 1e-9):.2f}x the rung before and "
            f"{step['rps'] / max(base['rps'], 1e-9):.2f}x the baseline; "
            f"p50 {step['p50_ms']:.0f} ms; server time per request: "
            + ", ".join(f"{p} {t[p]:.0f} ms" for p in PARTS if t.get(p, 0) >= 0.5)
            + f"; {step['server_cpu_ms_per_request']:.1f} server CPU-ms per request on "
            f"{step['server_cpu_cores']:.2f} cores"
            + (f"; mean batch {step['mean_batch_size']:.1f}" if step.get("mean_batch_size") else "")
            + "."
        )
        previous = step
    edge_name, ceiling_name = rung_named(summary, "edge"), rung_named(summary, "ceiling")
    edge, ceiling = ladder.get(edge_name or ""), ladder.get(ceiling_name or "")
    if edge and ceiling:
        edge_cpu, bare_cpu = edge["server_cpu_ms_per_request"], ceiling["server_cpu_ms_per_request"]
        lines.append(
            f"- **What the framework costs**: the same pipeline (one MGET and one call of each "
            f"in-process model per batch) needs {edge_cpu:.2f} server CPU-ms per request under "
            f"BentoML ({edge_name}) and {bare_cpu:.2f} as a bare Starlette app on uvicorn "
            f"({ceiling_name}): {edge_cpu - bare_cpu:.2f} ms per request is BentoML's own "
            f"request path; {edge['rps']:.0f} against {ceiling['rps']:.0f} rps "
            f"({edge['rps'] / max(ceiling['rps'], 1e-9):.0%})."
        )
    cores = summary["environment"]["cores"]
    for name, rung in summary["rungs"].items():
        for exp_name, exp in rung["experiments"].items():
            for step in exp["steps"]:
                reason = explain_gap(step, cores)
                if reason:
                    lines.append(
                        f"- Little's law gap (!) for {name} {exp_name} at {step['users']} "
                        f"users ({little(step)[1]:+.0%}): {reason}."
                    )
    best = max(ladder.values(), key=lambda s: s["rps"], default=None)
    if best and best["server_cpu_cores"] + best["loadgen_cpu_cores"] > 0.8 * cores:
        lines.append(
            f"- At the top, server ({best['server_cpu_cores']:.2f} cores) and Locust "
            f"({best['loadgen_cpu_cores']:.2f} cores) together use most of the {cores} cores: "
            "the async targets are CPU-bound here, so CPU-ms per request decides their ceiling; "
            "the sync targets are bound by worker count, not CPU."
        )
    return lines


def render_markdown(summary: dict[str, Any], plots: list[str]) -> str:
    """Write the report as Markdown."""
    env = summary["environment"]
    users = summary["users"]
    lines = [
        "# BentoML (async, batched) vs Flask (sync): comparison report",
        "",
        f"Run `{summary['command']}`, {summary['started']} to {summary['finished']}, "
        f"profile **{summary['profile']['name']}**, on {env['cpu_model']} with "
        f"**{env['cores']} cores** and {env['memory_gib']} GiB; server, Redis and Locust "
        f"({summary['locust_processes']} process(es)) share that machine.",
        "",
        "## Targets",
        "",
        *_table(["target", "measured", "met"],
                [[t["name"], t["measured"], {True: "yes", False: "**no**", None: "-"}[t["met"]]]
                 for t in summary["targets"]]),
        f"## The ablation ladder at {users} closed-loop users",
        "",
        "Each rung is a configuration of the same code, measured in this run on the same "
        "machine after its own warm-up. Little's law column: users / mean latency, the "
        "throughput a closed loop with no think time must show; a gap over 15% is flagged (!).",
        "",
    ]  # fmt: skip
    rows = []
    base_rps = _step(summary, rung_named(summary, "baseline") or "", "ladder").get("rps")
    for name, rung in summary["rungs"].items():
        step = _step(summary, name, "ladder")
        if step:
            ratio = f"{step['rps'] / base_rps:.2f}x" if base_rps else "-"
            rows.append([f"**{name}**: {rung['title']}", rung["resources"], rung["isolates"],
                         ratio, *_step_rows([step])[0][1:]])  # fmt: skip
    lines += _table(["rung", "resources", "isolates", "vs baseline", *STEP_HEADER[1:]], rows)
    if "ladder.png" in plots:
        lines += ["![ladder](ladder.png)", ""]
    lines += ["## Where the delta comes from", "", *_explain(summary), ""]
    if "breakdown.png" in plots:
        lines += [
            "Server-side breakdown per request from the `Server-Timing` header of every answer "
            "(means over each ramp step): Redis lookup, waiting for a batch (including the "
            "request's trip to the model service), model execution, the rest of the model hop "
            "(response and deserialisation), the rest of the handler, and the time the client "
            "saw outside the handler (listen backlog, HTTP parsing, framework, event-loop lag). "
            "Each part is the time the handler awaited it, so on a busy event loop it also "
            "holds the time the loop spent on other requests before resuming this one.",
            "",
            "![breakdown](breakdown.png)",
            "",
        ]
    for name in [rung_named(summary, role) or "" for role in HEADLINE_ROLES]:
        rung = summary["rungs"].get(name)
        if not rung:
            continue
        lines += [f"## {name}: the four experiments", "", rung["resources"], ""]
        for exp_name, exp in rung["experiments"].items():
            title = exp_name
            if exp_name == "ramp":
                title += (f" (breaking point: {exp['breaking_point']} users, "
                          f"{exp.get('breaking_reason')})" if exp["breaking_point"]
                          else " (no breaking point within the levels)")  # fmt: skip
            lines += [f"### {title}", "", *_table(STEP_HEADER, _step_rows(exp["steps"]))]
        parts_rows = [[str(s["users"]), *(_fmt(v, 1) for v in _breakdown(s).values())]
                      for s in rung["experiments"].get("ramp", {}).get("steps", [])]  # fmt: skip
        if parts_rows:
            lines += [f"Breakdown (mean ms) over the ramp, {name}:", ""]
            lines += _table(["users", *PARTS, "outside handler"], parts_rows)
    for plot in ("ramp.png", "batch_size.png", "soak.png"):
        if plot in plots:
            lines += [f"![{plot[:-4]}]({plot})", ""]
    cold_rows = []
    for name in [n for n, r in summary["rungs"].items() if r.get("batching")]:
        experiments = summary["rungs"][name]["experiments"]
        for exp_name in ("cold", "low_after"):
            if exp_name in experiments:
                rows = _step_rows(experiments[exp_name]["steps"])
                cold_rows += [[name, exp_name, *row] for row in rows]
    if cold_rows:
        lines += [
            "## The adaptive batcher's two pathologies, and what removes them",
            "",
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
            "user right after its heavy runs (low_after):",
            "",
            *_table(["rung", "experiment", *STEP_HEADER], cold_rows),
        ]
    lines += [
        "## Reproduce",
        "",
        f"`{summary['command']}`; settings: `{summary['settings']}`.",
        "",
        f"Python {env['python']}, {env['os']}, {env['redis_server']}; packages: "
        + ", ".join(f"{k} {v}" for k, v in env["packages"].items()),
        "",
        "Raw Locust CSV and HTML per rung and experiment are in the folders beside this file.",
    ]
    return "\n".join(lines) + "\n"


def markdown_to_html(text: str, title: str) -> str:
    """Render the small Markdown subset the report uses."""
    body: list[str] = []
    table: list[str] = []

    def inline(s: str) -> str:
        s = html.escape(s)
        s = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", s)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", s)

    def flush() -> None:
        if table:
            rows = [r for r in table if not re.fullmatch(r"\|(---\|)+", r)]
            cells = [[c.strip() for c in r.strip("|").split(" | ")] for r in rows]
            body.append("<table><tr>" + "".join(f"<th>{inline(c)}</th>" for c in cells[0])
                        + "</tr>" + "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r)
                                            + "</tr>" for r in cells[1:]) + "</table>")  # fmt: skip
            table.clear()

    for line in text.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush()
        if image := re.fullmatch(r"!\[(.*)\]\((.*)\)", line):
            body.append(f'<img alt="{html.escape(image[1])}" src="{html.escape(image[2])}">')
        elif heading := re.match(r"(#+) (.*)", line):
            level = len(heading[1])
            body.append(f"<h{level}>{inline(heading[2])}</h{level}>")
        elif line.startswith("- "):
            body.append(f"<li>{inline(line[2:])}</li>")
        elif line:
            body.append(f"<p>{inline(line)}</p>")
    flush()
    style = ("body{font-family:sans-serif;max-width:1300px;margin:auto}"
             "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;"
             "padding:3px 6px}img{max-width:100%}")  # fmt: skip
    head = f"<meta charset='utf-8'><title>{html.escape(title)}</title><style>{style}</style>"
    return f"<!doctype html><html><head>{head}</head><body>{''.join(body)}</body></html>\n"


def write(summary: dict[str, Any], out: Path) -> None:
    """Write plots, report.md and report.html into out."""
    plots = _plots(summary, out)
    markdown = render_markdown(summary, plots)
    (out / "report.md").write_text(markdown)
    (out / "report.html").write_text(markdown_to_html(markdown, "comparison report"))
