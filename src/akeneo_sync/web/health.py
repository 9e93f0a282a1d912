"""`/healthz` (the process answers), `/readyz` (Redis answers) and `/metrics`.

The probes are coroutines: they never wait for a thread of the pool that request handlers share,
so a flood of slow requests cannot make the kubelet restart a pod that is merely busy.
"""

from __future__ import annotations

import asyncio
import os
from typing import Final

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from akeneo_sync.errors import StateError
from akeneo_sync.web.context import WebContext

__all__ = ["Health", "build_router", "metrics_registry"]

# Under the probes' 3 s timeout: a Redis that does not answer in time is "not ready".
_PING_TIMEOUT_S: Final = 2.0


class Health(BaseModel):
    """A probe's answer."""

    status: str


def metrics_registry() -> CollectorRegistry:
    """The registry to expose: every process's values in multiprocess mode, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def build_router(ctx: WebContext) -> APIRouter:
    """The probe and metrics routes."""
    router = APIRouter(tags=["health"])
    registry = metrics_registry()

    @router.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        """Liveness: the process serves requests."""
        return Health(status="ok")

    @router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
    async def readyz() -> Response:
        """Readiness: Redis (state store and broker) answers."""
        try:
            # The event loop's own executor, not the request handlers' pool.
            ready = await asyncio.wait_for(asyncio.to_thread(ctx.store.ping), _PING_TIMEOUT_S)
        except (StateError, TimeoutError):
            ready = False
        if not ready:
            return JSONResponse(Health(status="redis unavailable").model_dump(), status_code=503)
        return JSONResponse(Health(status="ok").model_dump())

    @router.get(
        "/metrics",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus exposition"}},
    )
    def metrics() -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
