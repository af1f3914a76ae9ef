#!/usr/bin/env bash
# Install what the project needs on a fresh Debian/Ubuntu machine: a Python 3.11
# virtualenv in .venv with the project, redis-server, nginx, chromium, Prometheus (unpacked
# into .tools), and (as root) podman,
# buildah, runc and debootstrap for the container tests. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
  elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
  else echo "missing: $*; install with: apt-get install -y $*" >&2; exit 1; fi
}

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if ! "$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
  echo "Python 3.11 is required (found: $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
command -v redis-server >/dev/null || apt_install redis-server
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || apt_install nginx
# the report test opens report.html in a headless browser
command -v chromium >/dev/null || apt_install chromium
# the container tests: podman and its parts from Debian's archive (as root only:
# elsewhere those tests are skipped, with the reason)
if [ "$(id -u)" = 0 ] && ! { command -v podman && command -v buildah && command -v runc \
    && { command -v debootstrap || [ -x /usr/sbin/debootstrap ]; } \
    && [ -f /usr/share/keyrings/debian-archive-keyring.gpg ]; } >/dev/null; then
  # the keyring: debootstrap checks Debian's archive with it (Ubuntu lacks it)
  apt_install podman buildah runc debootstrap debian-archive-keyring
fi
# the dashboard test runs Prometheus and promtool from Debian's package, unpacked into
# .tools/prometheus rather than installed, so no Prometheus daemon is left running
if [ ! -x .tools/prometheus/usr/bin/prometheus ]; then
  debs=$(mktemp -d) && chmod 755 "$debs"
  (cd "$debs" && { apt-get download prometheus >/dev/null 2>&1 \
    || { apt_install --download-only prometheus >/dev/null && apt-get download prometheus; }; })
  mkdir -p .tools/prometheus && dpkg-deb -x "$debs"/prometheus_*.deb .tools/prometheus
  rm -rf "$debs"
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv 2>/dev/null || { apt_install python3.11-venv && "$PYTHON" -m venv .venv; }
fi
# reinstall only when the requirements changed since the last install
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
