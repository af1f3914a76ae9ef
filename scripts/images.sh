#!/usr/bin/env bash
# Container images with podman: `check` (can containers run here), `base` (the
# Python 3.11 base: pulled, or made from Debian packages), `images` (all, with sizes).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m harness.images "$@"
