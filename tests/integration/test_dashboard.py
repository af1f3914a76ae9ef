"""The dashboard shows data: Debian's Prometheus scrapes both targets under load with the
shipped rules, and every query of every panel of the shipped dashboard returns series.

Prometheus and promtool come from Debian's `prometheus` package, unpacked into
.tools/prometheus by scripts/bootstrap.sh (no daemon is installed or started).
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from harness.processes import ROOT, Managed, free_port, http_ready, spawn, wait_ready

pytestmark = pytest.mark.integration

PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "scoring-dashboard.json"
# panels that only a batching BentoML target can fill: the Flask baseline does not batch
BENTO_ONLY = ("batch_size",)


def _tool(name: str) -> str:
    unpacked = ROOT / ".tools" / "prometheus" / "usr" / "bin" / name
    found = str(unpacked) if unpacked.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found: scripts/bootstrap.sh unpacks it into .tools/prometheus")
    return found


def _queries() -> list[tuple[str, str]]:
    """(panel title, query) for every query of every panel."""
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [(p["title"], t["expr"]) for p in panels for t in p["targets"]]


@pytest.mark.parametrize("arguments", [["config", "prometheus.yml"], ["rules", "rules.yml"]])
def test_the_shipped_prometheus_files_pass_promtool(arguments: list[str]) -> None:
    done = subprocess.run(
        [_tool("promtool"), "check", *arguments],
        cwd=PROMETHEUS,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_cluster_configuration_records_the_same_rules_at_the_same_pace() -> None:
    local, cluster = (
        yaml.safe_load((PROMETHEUS / f).read_text()) for f in ("prometheus.yml", "kubernetes.yml")
    )
    assert cluster["global"] == local["global"]
    assert cluster["rule_files"] == local["rule_files"] == ["rules.yml"]
    relabel = cluster["scrape_configs"][0]["relabel_configs"]
    assert {"source_labels": ["__meta_kubernetes_pod_label_app"], "target_label": "job"} in relabel


def test_the_dashboard_imports_with_a_chosen_datasource() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert [i["name"] for i in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        assert panel["targets"], panel["title"]


@pytest.fixture()
def prometheus(bento_server: Managed, sync_server: Managed, tmp_path: Path) -> Iterator[str]:
    """Prometheus scraping both targets every second, recording the shipped rules."""
    jobs = {"scoring-bento": bento_server.url, "scoring-sync": sync_server.url}
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(PROMETHEUS / "rules.yml")],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [url.removeprefix("http://")]}]}
            for job, url in jobs.items()
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    argv = [
        _tool("prometheus"),
        f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    url = f"http://127.0.0.1:{port}"
    server = wait_ready(
        spawn("prometheus", argv, url, tmp_path),
        functools.partial(http_ready, url + "/-/ready"),
        30,
    )
    try:
        yield url
    finally:
        server.stop()


def _load(url: str, stop: threading.Event) -> None:
    """Closed-loop callers: right ids, and every tenth a client's mistake (an unknown id)."""
    with requests.Session() as session:
        sent = 0
        while not stop.is_set():
            entity = "ghost" if sent % 10 == 9 else f"e{sent % 2000:07d}"
            session.post(url + "/predict", json={"entity_id": entity}, timeout=10)
            sent += 1


def _series(prometheus: str, query: str) -> list[dict[str, Any]]:
    answer = requests.get(prometheus + "/api/v1/query", params={"query": query}, timeout=10)
    answer.raise_for_status()
    result: list[dict[str, Any]] = answer.json()["data"]["result"]
    return result


def test_every_dashboard_query_returns_data_from_both_targets_under_load(
    prometheus: str, bento_server: Managed, sync_server: Managed
) -> None:
    stop = threading.Event()
    callers = [
        threading.Thread(target=_load, args=(target.url, stop), daemon=True)
        for target in (bento_server, sync_server)
        for _ in range(4)
    ]
    for caller in callers:
        caller.start()
    missing: dict[str, set[str]] = {}
    try:
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            time.sleep(2)
            missing = {}
            for title, query in _queries():
                wanted = (
                    {"scoring-bento"}
                    if any(k in query for k in BENTO_ONLY)
                    else {
                        "scoring-bento",
                        "scoring-sync",
                    }
                )
                seen = {s["metric"].get("job") for s in _series(prometheus, query)}
                if wanted - seen:
                    missing[f"{title}: {query}"] = wanted - seen
            if not missing:
                break
    finally:
        stop.set()
        for caller in callers:
            caller.join(timeout=15)
    assert not missing, missing
