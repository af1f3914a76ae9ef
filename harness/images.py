"""The project's container images: the base, Redis, the baseline, Locust, the bento.

python -m harness.images --help. Where no registry is reachable, the Python
3.11 base is made from Debian packages (debootstrap) and tagged with the
official image's name, so the Dockerfiles and the bento build unmodified; with
a reachable registry the official image is pulled and nothing is made.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from harness.containers import CONF, engine_problem, environment, image_exists, podman
from harness.processes import BIN, ROOT

BASE = "docker.io/library/python:3.11-slim"
REDIS = "localhost/scoring-redis:latest"
SYNC = "localhost/scoring-sync-baseline:latest"
LOCUST = "localhost/scoring-locust:latest"
BENTO = "localhost/scoring-service:latest"
# the sync pod's proxy in deploy/k8s/base/sync-baseline.yaml; a Debian stand-in where it
# cannot be pulled
NGINX = "docker.io/nginxinc/nginx-unprivileged:1.27-alpine"
SUITE = "bookworm"  # Debian 12: its python3 is 3.11, as pyproject.toml and bentofile.yaml ask
MIRROR = "http://deb.debian.org/debian"


def _ensure(name: str, make: Callable[[], object], made: str) -> str:
    """Keep name when present, pull it when a registry answers, else make it; say which."""
    if image_exists(name):
        return "present"
    if podman("pull", "--quiet", name, check=False, timeout=120).returncode == 0:
        return "pulled"
    make()
    return made


def ensure_nginx() -> str:
    """Pull the proxy image the manifests name, or build deploy/nginx.Dockerfile under that name."""
    nginx = "deploy/nginx.Dockerfile"
    return _ensure(NGINX, lambda: build(NGINX, nginx), "built from Debian packages")


def ensure_base() -> str:
    """Pull the official base, or make it from Debian packages; say which."""
    return _ensure(BASE, make_base, "made from Debian packages")


def _bootstrap_root(root: Path) -> None:
    """Debootstrap Debian 12 with Python 3.11 into root, trusting the host's extra CAs."""
    include = "python3,python3-venv,python3-pip,ca-certificates"
    keyring = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
    debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
    keyrings = [f"--keyring={keyring}"] if keyring.exists() else []
    argv = [debootstrap, "--variant=minbase", f"--include={include}", *keyrings]
    subprocess.run([*argv, SUITE, str(root), MIRROR], check=True, capture_output=True, text=True)
    # a TLS-inspecting proxy's CA, if the host has one, must be trusted inside builds
    extra = Path("/usr/local/share/ca-certificates")
    for cert in extra.glob("*.crt") if extra.is_dir() else []:
        shutil.copy(cert, root / "usr/local/share/ca-certificates" / cert.name)
    subprocess.run(
        [shutil.which("chroot") or "/usr/sbin/chroot", str(root), "update-ca-certificates"],
        check=True,
        capture_output=True,
    )
    for name, target in (("python", "python3"), ("pip", "pip3")):
        (root / "usr/local/bin" / name).symlink_to(f"/usr/bin/{target}")
    shutil.rmtree(root / "var/lib/apt/lists", ignore_errors=True)
    shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)


def make_base() -> None:
    """Make BASE from debootstrap: Debian 12's Python 3.11, pip, venv and the host's CAs."""
    with tempfile.TemporaryDirectory(prefix="base-") as tmp:
        root = Path(tmp) / "root"
        _bootstrap_root(root)
        changes = [
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV LANG=C.UTF-8",
            # Debian marks its Python as system-managed; the official image does not
            "ENV PIP_BREAK_SYSTEM_PACKAGES=1",
            # uv ignores the system CA store unless told
            "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
            'CMD ["python3"]',
        ]
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        subprocess.run(
            ["podman", "import", *(f"--change={c}" for c in changes), "-", BASE],
            stdin=tar.stdout,
            env=environment(),
            check=True,
            capture_output=True,
        )
        tar.wait()


def build(name: str, containerfile: str) -> None:
    """Build one of the project's Dockerfiles from the repository root."""
    podman(
        "build",
        "--quiet",
        "--format=docker",
        "-f",
        str(ROOT / containerfile),
        "-t",
        name,
        str(ROOT),
        timeout=900,
    )


def build_bento() -> None:
    """bentoml build, then bentoml containerize with the podman backend."""
    env = {**environment(), "BENTOML_DO_NOT_TRACK": "True"}
    tag = (
        subprocess.run(
            [str(BIN / "bentoml"), "build", "--output", "tag"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
        .removeprefix("__tag__:")
    )
    subprocess.run(
        [str(BIN / "bentoml"), "containerize", tag, "--backend", "podman", "-t", BENTO],
        # from "/": BentoML 1.4 refuses a dockerfile_template outside the working
        # directory, and it reads the template from its temporary build context
        cwd="/",
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )


def image_size_mb(name: str) -> float:
    """The image's size as podman reports it, in MB."""
    return int(podman("image", "inspect", name, "--format", "{{.Size}}").stdout) / 1e6


def build_all() -> dict[str, float]:
    """Every image the project runs, built (cached layers reused); their sizes in MB."""
    ensure_base()
    build(REDIS, "deploy/redis.Dockerfile")
    build(SYNC, "deploy/sync_baseline.Dockerfile")
    build(LOCUST, "deploy/locust.Dockerfile")
    build_bento()
    # each bento build leaves the previous image untagged: about 0.5 GB a build
    podman("image", "prune", "--force")
    return {name: image_size_mb(name) for name in (REDIS, SYNC, LOCUST, BENTO)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.images", description=__doc__)
    parser.add_argument(
        "what",
        choices=["check", "base", "images"],
        help="check: can containers run here; base: the Python 3.11 base; "
        "images: every image, with sizes",
    )
    args = parser.parse_args(argv)
    problem = engine_problem()
    if problem is not None:
        print(f"containers: {problem}", file=sys.stderr)
        return 2
    if args.what == "base":
        print(f"{BASE}: {ensure_base()}")
    elif args.what == "images":
        for name, size in build_all().items():
            print(f"{name}: {size:.0f} MB")
    else:
        print(f"containers: podman runs here, configured by {CONF}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
