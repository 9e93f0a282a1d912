# syntax=docker/dockerfile:1
# akeneo-sync container image: one image, the process chosen by the first argument
# (`web`, `worker`, `scheduler`, ...). Build: docker build -t ghcr.io/example/akeneo-sync:0.1.0 .

# The base image should be pinned by digest (`python:3.11-slim@sha256:...`), so a rebuild gets
# the same OS packages and Python until the digest is bumped on purpose. NOT DONE YET: this
# repository was written on a machine with no network access to Docker Hub (registry-1.docker.io
# does not resolve), so no digest could be read or checked, and an unchecked digest copied from
# elsewhere would be worse than none. Pin it where the registry is reachable:
#   docker buildx imagetools inspect python:3.11-slim --format '{{json .Manifest.Digest}}'
# then build with --build-arg PYTHON_IMAGE=python:3.11-slim@sha256:<that digest> (or change the
# default below) and let a bot (Renovate/Dependabot "docker" manager) bump it.
ARG PYTHON_IMAGE=python:3.11-slim

# Stage 1: build the wheel of akeneo-sync and collect the pinned wheels of every dependency
# (requirements/runtime.lock: exact versions and hashes, the same as `make test` runs against;
# it resolves no extras, so once `make lock` has re-run since fakeredis became the `demo` extra,
# the demo's fakeredis and lupa are not installed).
FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY requirements/runtime.lock ./requirements/
# The lock pins pip and setuptools too: our wheel is built without fetching an unpinned backend.
RUN python -m pip install --require-hashes -r requirements/runtime.lock \
    && python -m pip wheel --require-hashes -r requirements/runtime.lock --wheel-dir /wheels
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m pip wheel --no-deps --no-build-isolation --wheel-dir /wheels .

# Stage 2: install the wheels into a clean image and run as an unprivileged user.
FROM ${PYTHON_IMAGE}
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# The numeric ids match the Kubernetes securityContext (runAsUser/runAsGroup 10001).
RUN groupadd --system --gid 10001 akeneo \
    && useradd --system --uid 10001 --gid akeneo --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin akeneo
# Bind-mount the wheels instead of copying them: they never become a layer of the final image.
# Hash-checked against the lock, then our own wheel without dependency resolution.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    --mount=type=bind,from=build,source=/src/requirements/runtime.lock,target=/tmp/runtime.lock \
    python -m pip install --no-index --find-links=/wheels --require-hashes -r /tmp/runtime.lock \
    && python -m pip install --no-index --no-deps /wheels/akeneo_sync-*.whl
WORKDIR /tmp
USER 10001:10001
EXPOSE 8000 9191
ENTRYPOINT ["akeneo-sync"]
CMD ["web", "--host", "0.0.0.0", "--port", "8000"]
