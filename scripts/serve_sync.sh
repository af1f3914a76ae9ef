#!/usr/bin/env bash
# Serve the Flask baseline under gunicorn on port ${PORT:-5000}.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m scoring.settings >/dev/null  # a misspelt setting stops here, named
exec .venv/bin/gunicorn -c sync_baseline/gunicorn.conf.py --bind "${HOST:-127.0.0.1}:${PORT:-5000}" "$@"
