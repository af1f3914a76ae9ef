#!/usr/bin/env bash
# Start a throwaway, seeded redis-server on loopback (a free port unless --port).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m harness.redis_local "$@"
