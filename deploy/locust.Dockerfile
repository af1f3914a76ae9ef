# The load generator: the project's locustfile on the loadgen package and the shared core, non-root.
# docker build -f deploy/locust.Dockerfile -t scoring-locust .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

RUN useradd --create-home --uid 10001 app
WORKDIR /home/app/src

COPY requirements/locust.txt requirements/locust.txt
RUN pip install --no-cache-dir -r requirements/locust.txt

# the packages Locust needs, installed from the project (not the harness, not the servers)
COPY pyproject.toml README.md ./
COPY scoring/ scoring/
COPY loadgen/ loadgen/
RUN pip install --no-cache-dir --no-deps . && rm -rf build ./*.egg-info
COPY locustfile.py .

USER app
EXPOSE 5557 8089
ENTRYPOINT ["locust", "-f", "locustfile.py"]
