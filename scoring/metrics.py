"""The names and buckets of the project's own Prometheus metrics, one place for every target."""

from __future__ import annotations

# requests (or items) per batch: powers of two up to twice the default max_batch_size
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
# request durations in seconds, for every target: fine between 50 ms and 500 ms, where
# the model floor (40-50 ms) and the SLO (p99 <= 250 ms) lie, so a p99 near the SLO is
# read off a bucket edge instead of interpolated across BentoML's default 0.1-0.25 s gap
DURATION_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.125,
    0.15,
    0.175,
    0.2,
    0.225,
    0.25,
    0.275,
    0.3,
    0.35,
    0.4,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    10.0,
)
# requests per batch formed by a batching entry: the shipped one, the edge one, the bare app
ENTRY_BATCH = "scoring_entry_batch_size"
EDGE_BATCH = "scoring_edge_batch_size"
BARE_BATCH = "scoring_bare_batch_size"
# items per model call in the model services, labelled by model
MODEL_BATCH = "scoring_model_batch_size"
