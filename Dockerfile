# syntax=docker/dockerfile:1
# newsmon image: the `newsmon` CLI (connectors, Beam pipeline, init) plus Beam's Prism runner.
#
#   docker build -t newsmon:0.1.0 .
#   docker run --rm newsmon:0.1.0 --help
#
# BEAM_VERSION must equal the apache-beam pin in pyproject.toml (tests/unit/test_docker_compose.py
# checks it): the Python SDK and the Prism runner talk a version-matched protocol.
ARG BEAM_VERSION=2.73.0
ARG PYTHON_IMAGE=python:3.11-slim
# Beam 2.73.0's Go module declares `go 1.26.0`.
ARG GO_IMAGE=golang:1.26-bookworm

# --- Stage 1: build Beam's Prism runner (a static Go binary) ----------------------------------
FROM ${GO_IMAGE} AS prism
ARG BEAM_VERSION
ENV CGO_ENABLED=0 GOBIN=/out
RUN go install "github.com/apache/beam/sdks/v2/go/cmd/prism@v${BEAM_VERSION}" && test -x /out/prism

# --- Stage 2: build a virtualenv with newsmon and its pinned dependencies ----------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# The build context is filtered by .dockerignore (no .venv, .git, .state, tests, caches).
COPY . .
# Build requirements (setuptools>=68, wheel) come from pyproject.toml via pip's build isolation;
# runtime dependencies are the exact pins in pyproject.toml.
RUN pip install .

# --- Stage 3: runtime -------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG BEAM_VERSION
LABEL org.opencontainers.image.title="newsmon" \
      org.opencontainers.image.description="Streaming news monitoring: feeds -> Kafka -> Beam -> Elasticsearch" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.apache.beam.version="${BEAM_VERSION}"
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    NEWSMON_CONFIG=/app/config/newsmon.yaml \
    NEWSMON_PIPELINE__PRISM_LOCATION=/usr/local/bin/prism \
    NEWSMON_SERVICES__CACHE_DIR=/var/cache/newsmon \
    NEWSMON_SERVICES__STATE_DIR=/var/lib/newsmon
# State (e.g. the connectors' seen-items store) and caches live in writable, volume-friendly dirs:
# the installed package's default state dir would be inside the read-only site-packages.
RUN groupadd --system --gid 10001 newsmon \
    && useradd --system --uid 10001 --gid newsmon --create-home --home-dir /home/newsmon newsmon \
    && mkdir -p /app/config /var/cache/newsmon /var/lib/newsmon \
    && chown newsmon:newsmon /var/cache/newsmon /var/lib/newsmon
COPY --from=prism /out/prism /usr/local/bin/prism
COPY --from=build /opt/venv /opt/venv
# Default settings baked in; docker-compose.yml mounts ./config over /app/config.
COPY config/ /app/config/
WORKDIR /app
USER 10001:10001
ENTRYPOINT ["newsmon"]
CMD ["--help"]
