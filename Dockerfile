# syntax=docker/dockerfile:1
#
# The kg service: `kg serve` (GraphQL API) by default, `kg load ...` as a one-shot.
# Build:  docker build -t kg-newsgraph .
# Run:    docker compose up   (see docker-compose.yml: Neo4j, the loader and the API)
#
# The Python version here is the one pyproject.toml requires (tests/test_deploy_files.py checks it).

# ---- builder: build the wheel and install it, with its dependencies, into a venv ----------------
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src

# Only what the wheel is built from; README.md is the project's `readme` and hatchling reads it.
COPY pyproject.toml README.md ./
COPY kg ./kg
COPY loaders ./loaders
COPY schema ./schema

# A real (non-editable) wheel: it bundles schema/ as kg/_schema, so the runtime needs no checkout.
RUN python -m pip wheel --no-deps --wheel-dir /wheels . \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install /wheels/*.whl

# ---- runtime: the venv, the articles, a non-root user ------------------------------------------
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# A fixed uid/gid, so that volumes and Kubernetes' runAsNonRoot can rely on it.
RUN groupadd --gid 10001 kg \
 && useradd --uid 10001 --gid 10001 --no-log-init --create-home --shell /usr/sbin/nologin kg

WORKDIR /app

COPY --from=builder /opt/venv /opt/venv
# Owned by root and read-only for kg: the service reads data/, it never writes there.
COPY data/ /app/data/

# Numeric, so that runtimes can verify it is not root.
USER 10001:10001

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

CMD ["kg", "serve", "--host", "0.0.0.0", "--port", "8000"]
