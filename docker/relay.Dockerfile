# zk-relay: the branch relay as a small, non-root image for linux/amd64 and linux/arm64.
#
# Build from the repository root (the context needs rules/ and relay/):
#   docker buildx build --platform linux/amd64,linux/arm64 -f docker/relay.Dockerfile -t zk-relay .
# BASE_IMAGE must be a Debian-family image with python3 (>= 3.11) and its venv module; the
# default is the official one. docker/README.md says how to build on a machine without a
# registry (a local debootstrap image passed as BASE_IMAGE).
ARG BASE_IMAGE=python:3.12-slim

# --------------------------------------------------------------------------- builder
# Wheels of zk-rules and zk-relay (built from this checkout) and of their dependencies.
FROM ${BASE_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY rules/ rules/
COPY relay/ relay/
RUN python3 -m pip wheel --wheel-dir /wheels ./rules ./relay

# --------------------------------------------------------------------------- runtime
FROM ${BASE_IMAGE}
# One service account (uid/gid 10001), no login; /data is the volume holding the SQLite store.
RUN groupadd --system --gid 10001 zkrelay \
    && useradd --system --uid 10001 --gid zkrelay --home-dir /data \
       --no-create-home --shell /usr/sbin/nologin zkrelay \
    && mkdir -p /data \
    && chown zkrelay:zkrelay /data \
    && chmod 0750 /data
# Install only the wheels from the builder stage (no index, no compiler, no build tools);
# the wheels themselves are bind-mounted, so they stay out of the image's layers.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python3 -m venv /opt/zk-relay \
    && /opt/zk-relay/bin/python -m pip install --no-cache-dir --no-index \
       --disable-pip-version-check --find-links=/wheels /wheels/*.whl \
    && /opt/zk-relay/bin/python -m pip uninstall --yes pip \
    && /opt/zk-relay/bin/zk-relay --version

# Configuration by environment (relay/README.md "Configuration": every key has a
# ZK_RELAY_<KEY> variable); the defaults below suit a container.
ENV PATH=/opt/zk-relay/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ZK_RELAY_DATA_DIR=/data \
    ZK_RELAY_HOST=0.0.0.0 \
    ZK_RELAY_PORT=8080

VOLUME ["/data"]
EXPOSE 8080
# Numeric, so that a runtime enforcing non-root (Kubernetes runAsNonRoot) can check it.
USER 10001:10001
WORKDIR /data

# /health answers 503 when the store is not writable: urlopen raises, the check fails.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/opt/zk-relay/bin/python", "-c", "import os,urllib.request as u; u.urlopen('http://127.0.0.1:%s/health' % os.environ.get('ZK_RELAY_PORT', '8080'), timeout=4)"]

# `zk-relay serve` installs its own SIGTERM handler (server.py): it stops accepting, lets the
# writer commit what it holds, closes the store and exits 0, also as PID 1.
STOPSIGNAL SIGTERM
ENTRYPOINT ["zk-relay"]
CMD ["serve"]
