"""Settings, read once from environment variables, the one place that reads them.

Settings holds every knob of the workload (``SCORING_*`` and ``REDIS_URL``), so
the BentoML service, the Flask baseline, the seeder and the load generator
cannot disagree about it; SyncSettings holds the Flask baseline's own
(``SYNC_*``). A variable with either prefix that names no field stops the
process with the field it resembles: ``python -m scoring.settings`` checks the
environment and prints the settings in force.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from scoring import envcheck
from scoring.envcheck import Model, SettingsError, as_environment

__all__ = ["Settings", "SettingsError", "SyncSettings", "as_environment", "load", "settings"]


class Settings(BaseSettings):
    """Workload, feature store and batching settings (env prefix ``SCORING_``)."""

    model_config = SettingsConfigDict(env_prefix="SCORING_", extra="ignore")

    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("REDIS_URL", "SCORING_REDIS_URL"),
        description="Feature store; rediss:// and passwords are supported.",
    )
    redis_max_connections: int = Field(default=256, ge=1)
    redis_timeout_s: float = Field(default=0.5, gt=0, description="Connect and read timeout.")
    redis_pool_wait_s: float = Field(
        default=5.0, gt=0, description="Longest wait for a free pooled connection."
    )

    entities: int = Field(default=10_000, ge=1, description="Entities seeded.")
    feature_dim: int = Field(default=16, ge=1, le=1024)
    entity_id_max_length: int = Field(default=128, ge=8)
    max_body_bytes: int = Field(default=4096, ge=256)

    model_sleep_min_ms: float = Field(default=40.0, ge=0)
    model_sleep_max_ms: float = Field(default=50.0, ge=0)
    model_item_cost_ms: float = Field(
        default=0.0, ge=0, description="Extra sleep per item in a batch."
    )

    model_batcher: Literal["adaptive", "continuous", "none"] = Field(
        default="adaptive",
        description="How model services batch: BentoML's adaptive batching, the "
        "continuous batcher, or one request per call.",
    )
    model_batch_hold: Literal["none", "learned"] = Field(
        default="none",
        description="Adaptive model services: 'learned' keeps BentoML's hold of a batch "
        "against the mean of its past waits; 'none' never holds on purpose "
        "(service/dispatch.py).",
    )
    max_batch_size: int = Field(default=128, ge=2)
    max_queue: int = Field(
        default=2048, ge=1, description="Continuous batcher: queued requests before 503."
    )
    max_latency_ms: int = Field(
        default=1000, ge=1, description="Batches that would miss it are shed (503)."
    )
    batches_in_flight: int = Field(
        default=1,
        ge=1,
        le=16,
        description="Shipped entry: batches each worker has out to the model services at "
        "once. 1: the entry's queue is the only one in front of the models.",
    )
    regather_ms: float = Field(
        default=3.0,
        ge=0,
        le=50,
        description="Batching entries: after a batch of n completes, the next waits for n "
        "arrivals while each comes within this many ms of the last (its callers coming "
        "back); 0: off.",
    )
    regather_max_ms: float = Field(
        default=12.0, ge=0, le=100, description="The longest such wait after a completion."
    )
    model_regather_ms: float = Field(
        default=20.0,
        ge=0,
        le=50,
        description="Continuous model batcher: after a batch merged from k calls completes, "
        "the next waits for k calls while each comes within this many ms of the last (the "
        "entry pods coming back), so several entry pods share batches instead of taking "
        "turns; a lone caller is never held; 0: off.",
    )
    model_regather_max_ms: float = Field(
        default=30.0, ge=0, le=100, description="The longest such wait after a completion."
    )
    max_in_flight: int = Field(
        default=512,
        ge=1,
        description="BentoML entry: predict requests in progress per worker; past it, 503.",
    )
    model_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Budget for the two model calls of one request; past it, 504.",
    )
    model_probe_interval_s: float = Field(
        default=0.25,
        gt=0,
        description="BentoML entry: how often each model service's readiness is probed; "
        "a model service that fails a probe answers 503 at once until one passes.",
    )
    model_probe_timeout_s: float = Field(
        default=0.75,
        gt=0,
        description="BentoML entry: a readiness probe of a model service slower than this fails.",
    )
    model_drain_idle_s: float = Field(
        default=0.5,
        ge=0,
        description="BentoML model service: after SIGTERM it serves until no call has come "
        "for this long (at most SCORING_MODEL_TIMEOUT_S), so its entry's requests finish.",
    )
    request_read_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Time a request's headers and body have to arrive; past it, 408 "
        "(a slow client must not hold a worker, nor count as a request in progress).",
    )
    max_header_fields: int = Field(
        default=100, ge=1, description="Request header fields; past it, 431 (gunicorn's default)."
    )
    max_header_field_bytes: int = Field(
        default=8190,
        ge=64,
        description="Bytes of one header line; past it, 431 (gunicorn's default).",
    )

    profile_dir: Path | None = Field(
        default=None, description="Diagnostics: save a pyinstrument profile of every request here."
    )

    @field_validator("redis_url")
    @classmethod
    def require_redis_scheme(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("REDIS_URL must start with redis://, rediss:// or unix://")
        return value

    @model_validator(mode="after")
    def require_ordered_sleep_range(self) -> Settings:
        if self.model_sleep_min_ms > self.model_sleep_max_ms:
            raise ValueError("model_sleep_min_ms must not exceed model_sleep_max_ms")
        return self


class SyncSettings(BaseSettings):
    """The Flask baseline's server (env prefix ``SYNC_``)."""

    model_config = SettingsConfigDict(env_prefix="SYNC_", extra="ignore")

    bind: str = Field(default="127.0.0.1:5000", description="gunicorn's listen address.")
    # the classic recommendation for sync workers
    workers: int = Field(default=2 * (os.cpu_count() or 1) + 1, ge=1, le=256)
    # as deep as BentoML's (uvicorn's 2048)
    backlog: int = Field(default=2048, ge=1)
    parallel_models: bool = Field(
        default=False, description="Run the two model calls in two threads."
    )
    queue_timeout_ms: float = Field(
        default=1000, ge=0, description="Answer 503 to a request that waited longer; 0: off."
    )
    shared_models: bool = Field(
        default=False,
        description="Every worker calls one copy of each model, one call at a time across "
        "processes (one accelerator shared by the workers), instead of a copy each.",
    )
    shared_models_dir: str = Field(
        default="",
        description="Where the shared models' locks are: set by gunicorn.conf.py for its "
        "workers when shared_models is on, not by hand.",
    )


PREFIXED: dict[str, type[BaseSettings]] = {"SCORING_": Settings, "SYNC_": SyncSettings}


def load(model: type[Model], environ: Mapping[str, str] | None = None) -> Model:
    """Read one of the project's settings models, the whole environment checked first."""
    return envcheck.load(model, PREFIXED, environ)


def check_environment(environ: Mapping[str, str]) -> None:
    """Raise SettingsError for a SCORING_ or SYNC_ variable that no field reads."""
    envcheck.check_environment(environ, PREFIXED)


def main() -> int:
    """Check the environment's settings; print them, or the one line that says what is wrong."""
    try:
        shared, sync = load(Settings), load(SyncSettings)
    except SettingsError as error:
        print(f"settings: {error}", file=sys.stderr)
        return 2
    shown = shared.model_dump(exclude={"redis_url"})
    print(f"scoring: {shown}\nsync: {sync.model_dump()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

settings = load(Settings)
