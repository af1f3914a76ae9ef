# The load generator: the project's locustfile with the shared core, non-root.
# docker build -f deploy/locust.Dockerfile -t scoring-locust .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

RUN useradd --create-home --uid 10001 app
WORKDIR /home/app/src

COPY requirements/locust.txt requirements/locust.txt
RUN pip install --no-cache-dir -r requirements/locust.txt

COPY scoring/ scoring/
COPY harness/__init__.py harness/steps.py harness/
COPY locustfile.py .

USER app
EXPOSE 5557 8089
ENTRYPOINT ["locust", "-f", "locustfile.py"]
