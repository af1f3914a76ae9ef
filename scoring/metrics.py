"""The names and buckets of the project's own Prometheus metrics, one place for every target."""

from __future__ import annotations

# requests (or items) per batch: powers of two up to twice the default max_batch_size
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
# requests per batch formed by a batching entry: the shipped one, the edge one, the bare app
ENTRY_BATCH = "scoring_entry_batch_size"
EDGE_BATCH = "scoring_edge_batch_size"
BARE_BATCH = "scoring_bare_batch_size"
# items per model call in the model services, labelled by model
MODEL_BATCH = "scoring_model_batch_size"
