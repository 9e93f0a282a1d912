"""`/healthz` (the process answers), `/readyz` (Redis answers) and `/metrics`."""

from __future__ import annotations

import os

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from akeneo_sync.errors import StateError
from akeneo_sync.web.context import WebContext

__all__ = ["Health", "build_router", "metrics_registry"]


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
    def healthz() -> Health:
        """Liveness: the process serves requests."""
        return Health(status="ok")

    @router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
    def readyz() -> Response:
        """Readiness: Redis (state store and broker) answers."""
        try:
            ready = ctx.store.ping()
        except StateError:
            ready = False
        if not ready:
            return JSONResponse(Health(status="redis unavailable").model_dump(), status_code=503)
        return JSONResponse(Health(status="ok").model_dump())

    @router.get("/metrics", response_class=Response,
                responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus exposition"}})
    def metrics() -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
