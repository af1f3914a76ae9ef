#!/usr/bin/env bash
# The main job: install what is missing, then compare both targets (quick profile
# unless told otherwise, e.g. --profile full). Writes results/latest/report.html.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
.venv/bin/python -m scoring.settings >/dev/null  # a misspelt setting stops here, named
exec .venv/bin/python -m harness.compare "$@"
