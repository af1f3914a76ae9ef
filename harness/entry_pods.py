"""Several entry pods on one model pod: do their batches merge? python -m harness.entry_pods.

Serves the shipped bento per service, as deploy/k8s/per-service does, but as
processes: ModelA and ModelB each alone (`start-http-server --service-name`),
and --pods entry servers whose `bentoml.depends` point at them. Each entry pod
gets the same number of closed-loop callers; every point records the answers,
their p50 and p99, the entry pods' batches and ModelA's calls. Each model
batcher in --batchers is served in turn, the order repeated --repeats times,
so the batchers are measured interleaved. Writes <results>/entry-pods-<time>/
summary.json and report.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import signal
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness import compare, environment, pods_load, processes, store
from harness.report.entry_pods import report
from loadgen.probe import histogram_totals
from loadgen.windows import percentiles
from scoring import metrics
from scoring.settings import Settings, as_environment

# what the entry and model services are served with, compared: BentoML's adaptive
# batcher in the model services with each entry pod's one batch out at a time (the
# single pod's), with two out (pipelined: an entry pod's next batch waits at the
# model beside the other pods'), and the continuous batcher that regathers its callers
BATCHERS: dict[str, dict[str, str]] = {
    "adaptive": as_environment(Settings, model_batcher="adaptive", batches_in_flight=1),
    "adaptive-pipelined": as_environment(Settings, model_batcher="adaptive", batches_in_flight=2),
    "continuous": as_environment(Settings, model_batcher="continuous", batches_in_flight=1),
    "continuous-no-regather": as_environment(
        Settings, model_batcher="continuous", model_regather_ms=0, batches_in_flight=1
    ),
}


def _serve(log_dir: Path, service: str, env: dict[str, str], *depends: str) -> processes.Managed:
    """One service of the bento in this checkout, alone, on a loopback port."""
    port = processes.free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [str(processes.BIN / "python"), "-m", "bentoml_cli._internal.start"]
    argv += ["start-http-server", str(processes.ROOT), "--service-name", service]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    argv += [f"--depends={d}" for d in depends]
    full_env = {**processes.bento_env(log_dir, port), **env}
    managed = processes.spawn(f"{service}-{port}", argv, url, log_dir, full_env)
    return processes.wait_ready(managed, lambda: processes.http_ready(url + "/readyz"), 120)


@contextlib.contextmanager
def topology(log_dir: Path, env: dict[str, str], pods: int) -> Iterator[tuple[list[str], str]]:
    """(the entry pods' URLs, ModelA's URL), every server ready; all stopped after."""
    with contextlib.ExitStack() as stack:
        model_a, model_b = (
            stack.enter_context(processes.running(_serve(log_dir, service, env)))
            for service in ("ModelA", "ModelB")
        )
        depends = (f"ModelA={model_a.url}", f"ModelB={model_b.url}")
        entries = [
            stack.enter_context(processes.running(_serve(log_dir, "Scorer", env, *depends)))
            for _ in range(pods)
        ]
        yield [entry.url for entry in entries], model_a.url


def _totals(url: str, metric: str, labels: dict[str, str] | None = None) -> tuple[float, float]:
    """(sum, count) of a histogram on a server's /metrics."""
    with urllib.request.urlopen(url + "/metrics", timeout=10) as answer:
        return histogram_totals(answer.read().decode(), metric, labels)


def _count(url: str, metric: str) -> float:
    return _totals(url, metric)[1]


def measure(
    entries: list[str],
    model_a: str,
    load: pods_load.Load,
    seconds: float,
) -> dict[str, Any]:
    """One point: the load on the entry pods, the batches they formed and ModelA's calls."""
    model = {"model": "model_a"}
    batches_before = sum(_count(url, metrics.ENTRY_BATCH) for url in entries)
    items_before, calls_before = _totals(model_a, metrics.MODEL_BATCH, model)
    latencies, failed = asyncio.run(load())
    p50, p99 = percentiles(latencies, [50, 99])
    batches = sum(_count(url, metrics.ENTRY_BATCH) for url in entries) - batches_before
    items, calls = _totals(model_a, metrics.MODEL_BATCH, model)
    items, calls = items - items_before, calls - calls_before
    return {
        "answers": len(latencies),
        "failed": failed,
        "rps": len(latencies) / seconds,
        "p50_ms": p50,
        "p99_ms": p99,
        "entry_batches": batches,
        "model_a_calls": calls,
        "items_per_call": items / calls if calls else None,
        "batches_per_call": batches / calls if calls else None,
    }


def _points(args: argparse.Namespace, entries: list[str]) -> dict[str, pods_load.Load]:
    """Each point's label and its load: closed-loop callers per pod, then open-loop rates."""
    loads: dict[str, pods_load.Load] = {}
    for callers in args.callers:
        loads[f"{callers} callers/pod"] = functools.partial(
            pods_load.closed_loop, entries, callers, args.seconds
        )
    for rate in args.rates:
        loads[f"{rate} rps open loop"] = functools.partial(
            pods_load.open_loop, entries, rate, args.seconds
        )
    return loads


def run(args: argparse.Namespace, log_dir: Path) -> list[dict[str, Any]]:
    """Every batcher at every load, the batchers' order repeated."""
    points = []
    size = as_environment(Settings, max_batch_size=args.max_batch_size)
    with store.feature_store(log_dir, 2000) as redis_url:
        for repeat in range(args.repeats):
            for batcher in args.batchers:
                env = {"REDIS_URL": redis_url, **BATCHERS[batcher], **size}
                with topology(log_dir, env, args.pods) as (entries, model_a):
                    asyncio.run(pods_load.closed_loop(entries, 4, 2))  # connections, warm code
                    for label, load in _points(args, entries).items():
                        point = measure(entries, model_a, load, args.seconds)
                        points.append(
                            {"batcher": batcher, "repeat": repeat, "load": label, **point}
                        )
                        print(json.dumps(points[-1]), flush=True)
    return points


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, default=2, help="entry pods (default 2)")
    parser.add_argument("--callers", type=_ints, default=[1, 4, 16], help="per entry pod")
    parser.add_argument("--rates", type=_ints, default=[20, 60, 120], help="open loop, rps in all")
    parser.add_argument(
        "--max-batch-size",
        type=int,
        default=Settings.model_fields["max_batch_size"].default,
        help="of every batcher: a smaller one lets this machine fill a model pod's batches",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="per point")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--batchers", type=_batchers, default=["adaptive", "adaptive-pipelined", "continuous"]
    )
    parser.add_argument("--results", type=Path, default=processes.ROOT / "results")
    return parser


def _ints(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give whole numbers, comma-separated") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: every count must be at least 1")
    return values


def _batchers(text: str) -> list[str]:
    names = text.split(",")
    unknown = [name for name in names if name not in BATCHERS]
    if unknown:
        raise argparse.ArgumentTypeError(f"{unknown}: choose from {', '.join(BATCHERS)}")
    return names


def main(argv: list[str] | None = None) -> int:
    """Run the measurement; write summary.json and report.md; print where."""
    args = _parser().parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):  # stop every server, as Ctrl-C does
        signal.signal(signum, compare.interrupt)
    out = args.results / time.strftime("entry-pods-%Y%m%dT%H%M%SZ", time.gmtime())
    out.mkdir(parents=True)
    points = run(args, out / "logs")
    conditions = {k: v for k, v in vars(args).items() if k != "results"}
    given = sys.argv[1:] if argv is None else argv
    summary = {
        "command": " ".join(["python -m harness.entry_pods", *given]),
        "environment": environment.describe(),
        "conditions": conditions,
        "points": points,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "report.md").write_text(report(summary))
    print(f"wrote {out / 'report.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
