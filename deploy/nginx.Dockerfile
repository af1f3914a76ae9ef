# A stand-in for nginxinc/nginx-unprivileged where no registry is reachable
# (harness/containers.py tags it with that name only when the pull fails):
# Debian's nginx, non-root, configured by the mounted /etc/nginx/nginx.conf
# (deploy/nginx/sync_baseline.conf, listening on 8080).
# podman build -f deploy/nginx.Dockerfile -t scoring-nginx .
FROM python:3.11-slim

# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx-light \
    && rm -rf /var/lib/apt/lists/*

USER 101
EXPOSE 8080
CMD ["nginx", "-g", "daemon off;"]
