# The Flask baseline: gunicorn, sync workers, non-root, with a health check.
# docker build -f deploy/sync_baseline.Dockerfile -t scoring-sync-baseline .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SYNC_BIND=0.0.0.0:5000

RUN useradd --create-home --uid 10001 app
WORKDIR /home/app/src

COPY requirements/sync_baseline.txt requirements/sync_baseline.txt
RUN pip install --no-cache-dir -r requirements/sync_baseline.txt

COPY scoring/ scoring/
COPY sync_baseline/ sync_baseline/

USER app
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/livez', timeout=2)"]
CMD ["gunicorn", "-c", "sync_baseline/gunicorn.conf.py"]
