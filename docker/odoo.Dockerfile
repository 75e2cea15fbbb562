# Odoo 18 for zk-odoo: the official image plus the Python dependencies of our addons
# (addons/requirements.txt, zk-rules for the rule modules, zk-relay for the addons' end-to-end
# tests). The addons themselves are not copied: compose mounts addons/ at /mnt/extra-addons.
#
# Build from the repository root (the context needs rules/, relay/ and addons/requirements.txt):
#   docker buildx build --platform linux/amd64,linux/arm64 -f docker/odoo.Dockerfile -t zk-odoo-odoo .
ARG ODOO_IMAGE=odoo:18

# --------------------------------------------------------------------------- builder
# Runs as the image's own unprivileged user (setuptools writes into the source folders).
FROM ${ODOO_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /tmp/zk
# hadolint ignore=DL3066
COPY --chown=odoo:odoo rules/ rules/
# hadolint ignore=DL3066
COPY --chown=odoo:odoo relay/ relay/
COPY addons/requirements.txt addons/requirements.txt
RUN python3 -m pip wheel --wheel-dir /tmp/wheels ./rules ./relay -r addons/requirements.txt

# --------------------------------------------------------------------------- runtime
FROM ${ODOO_IMAGE}
USER 0
# The official image's Python is Ubuntu's (PEP 668, "externally managed"): Odoo itself lives
# there, so its addons' dependencies must too. Only our wheels, no index.
RUN --mount=type=bind,from=builder,source=/tmp/wheels,target=/wheels \
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir --no-index \
        --disable-pip-version-check --find-links=/wheels /wheels/*.whl \
    && python3 -c "import zk_rules, zk_relay, zk"
# The official image's account is named odoo (its uid is not fixed by the image).
# hadolint ignore=DL3066
COPY --chown=odoo:odoo odoo.conf /etc/odoo/odoo.conf
# hadolint ignore=DL3066
USER odoo
