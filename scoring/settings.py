"""Settings shared by both targets, read once from environment variables.

Every knob of the workload lives here, so the BentoML service, the Flask
baseline, the seeder and the load generator cannot disagree about it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    max_batch_size: int = Field(default=128, ge=2)
    max_queue: int = Field(
        default=2048, ge=1, description="Continuous batcher: queued requests before 503."
    )
    max_latency_ms: int = Field(
        default=1000, ge=1, description="Batches that would miss it are shed (503)."
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


settings = Settings()
