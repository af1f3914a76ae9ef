#!/usr/bin/env bash
# Profile one request and a burst on each target (pyinstrument HTML in results/profiles/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/python -m harness.profile "$@"
