#!/usr/bin/env bash
# Serve the BentoML target on port ${PORT:-3000} with bentoconfiguration.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m scoring.settings >/dev/null  # a misspelt setting stops here, named
export BENTOML_CONFIG="$PWD/bentoconfiguration.yaml"
exec .venv/bin/bentoml serve --host "${HOST:-127.0.0.1}" --port "${PORT:-3000}" "$@"
