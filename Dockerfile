# syntax=docker/dockerfile:1
# One image, three services: the command picks one (see docker-compose.yml):
#   strangler serve proxy|legacy|modern --host 0.0.0.0 [--port N] [--workers N]
# Stage `build` turns the committed lock file into wheels; stage `runtime` installs
# them with no compiler, no pip cache and no build files, and runs as a numeric
# non-root user. The worked example (legacy/, modern/) is copied as sources beside
# the installed tool: the tool's wheel never carries it.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
# Dependencies first, in a layer of their own: a source edit does not rebuild them.
COPY requirements/runtime.lock ./
RUN pip wheel --require-hashes --wheel-dir /wheels/deps --requirement runtime.lock
COPY pyproject.toml README.md ./
COPY proxy ./proxy
COPY strangler ./strangler
RUN pip wheel --no-deps --wheel-dir /wheels/app .

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    STRANGLER_ROUTES=/app/routes.yaml \
    STRANGLER_HEALTH_FILE=/tmp/strangler-health.json
RUN groupadd --system --gid 10001 strangler \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin strangler
# The wheels are bind-mounted from the build stage, so none is left in a layer.
RUN --mount=type=bind,from=build,source=/wheels/deps,target=/wheels \
    --mount=type=bind,source=requirements/runtime.lock,target=/tmp/runtime.lock \
    pip install --no-index --find-links /wheels --require-hashes --requirement /tmp/runtime.lock
RUN --mount=type=bind,from=build,source=/wheels/app,target=/wheels \
    pip install --no-index --no-deps /wheels/strangler-*.whl
WORKDIR /app
COPY legacy ./legacy
COPY modern ./modern
COPY routes.yaml ./
USER 10001:10001
EXPOSE 8000 8001 8002
# `strangler serve` writes where its app's health endpoint is to STRANGLER_HEALTH_FILE;
# `strangler healthcheck` asks it, so one HEALTHCHECK fits whichever app runs.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["strangler", "healthcheck"]
# SIGTERM drains: new connections are refused at once, requests in flight finish.
STOPSIGNAL SIGTERM
CMD ["strangler", "serve", "proxy", "--host", "0.0.0.0", "--workers", "2"]
