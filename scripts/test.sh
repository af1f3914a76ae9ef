#!/usr/bin/env bash
# Lint, type-check and run every test against real Redis, BentoML and gunicorn servers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy .
exec .venv/bin/pytest "$@"
