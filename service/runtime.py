"""The shipped runtime of every BentoML service, where BentoML reads it first: the decorator.

`bentoml serve` as typed, with no environment, serves these settings;
bentoconfiguration.yaml (through BENTOML_CONFIG) and BENTOML_CONFIG_OPTIONS
override them per deployment. Batching knobs are not here: new-style services
take them only from @bentoml.api(...) (service/models.py).
"""

from __future__ import annotations

from typing import Any

from scoring.metrics import DURATION_BUCKETS

# the contract's own budget (SCORING_MODEL_TIMEOUT_S, 10 s) answers 504 in its
# shape first; BentoML's traffic timeout, as gunicorn's worker timeout, is a backstop
_TRAFFIC = {"timeout": 30}

COMMON: dict[str, Any] = {
    "traffic": _TRAFFIC,
    "logging": {"access": {"enabled": False}},
    # BentoML records an OpenTelemetry span for every request even when
    # sample_rate is 0 (it uses span ids as request ids): on the predict path
    # that measured 0.4-0.5 of the shipped target's 1.5 CPU-ms per request
    # (docs: what the framework costs). To export traces, set exporter_type
    # and sample_rate and drop this exclusion in an override.
    "tracing": {"excluded_urls": ["/predict"]},
    # BentoML's default buckets jump from 0.1 s to 0.25 s, across the SLO's p99
    "metrics": {"duration": {"buckets": list(DURATION_BUCKETS)}},
}

# One entry worker: its batcher is then the only queue in front of the model
# services, so a request waits for at most one batch (two entry workers each
# with its own queue made callers take turns at the serial models: README,
# one queue per model). One worker of each model service, a serial resource
# like one accelerator.
ENTRY: dict[str, Any] = {
    **COMMON,
    "workers": 1,
    # readiness of the model services is the entry's own, probed in the background
    # (service/model_health.py): BentoML's probe of them on /readyz waits up to 5 s
    # on a dead one
    "runner_probe": {"enabled": False},
}
MODEL: dict[str, Any] = {
    **COMMON,
    "workers": 1,
    # the inter-service aiohttp session is closed and replaced every
    # max_requests calls or max_age seconds, under in-flight calls: under
    # load that gave 500s ("Connector is closed"), so it is never refreshed
    "runner_connection": {"max_requests": 1_000_000_000, "max_age": 31_536_000.0},
}

# uvicorn closes an idle keep-alive connection after 5 s; a proxy or load balancer
# that keeps idle upstream connections longer (nginx's upstream keepalive_timeout
# 60 s, AWS ALB 60 s) then sends requests into closed connections and answers
# 502. The server's idle timeout must be above the proxy's. BentoML takes it only
# from `bentoml serve --timeout-keep-alive`: scripts/serve_bento.sh, the bento's
# image (deploy/bento/Dockerfile.template) and harness.processes pass this.
KEEP_ALIVE_S = 75
