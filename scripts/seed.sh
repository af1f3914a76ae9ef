#!/usr/bin/env bash
# Seed the feature store at $REDIS_URL (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m scoring.seed "$@"
