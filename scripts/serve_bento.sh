#!/usr/bin/env bash
# Serve the BentoML target on port ${PORT:-3000} with bentoconfiguration.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m scoring.settings >/dev/null  # a misspelt setting stops here, named
export BENTOML_CONFIG="$PWD/bentoconfiguration.yaml"
# idle keep-alive above proxies' 60 s (service/runtime.py KEEP_ALIVE_S)
exec .venv/bin/bentoml serve --timeout-keep-alive 75 --host "${HOST:-127.0.0.1}" --port "${PORT:-3000}" "$@"
