"""`create_app`: the web side's FastAPI application, assembled from injected collaborators."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from akeneo_sync import __version__
from akeneo_sync.clock import Clock
from akeneo_sync.errors import StateError
from akeneo_sync.logging import get_logger
from akeneo_sync.state import StateStore
from akeneo_sync.state.connect import AsyncRedisClient
from akeneo_sync.web import activation, api, events, health, notifications
from akeneo_sync.web.batching import ProductBatcher
from akeneo_sync.web.config import WebConfig
from akeneo_sync.web.context import WebContext
from akeneo_sync.web.flusher import BatchFlusher
from akeneo_sync.web.guard import PimUrlChecker, RateLimiter
from akeneo_sync.web.ports import Enqueuer, Resolver
from akeneo_sync.web.request_metrics import install_request_metrics
from akeneo_sync.web.routing import SubscriptionRoutes
from akeneo_sync.web.urlcheck import PimUrlPolicy, system_resolver

__all__ = ["BatchFlusher", "create_app"]

_log = get_logger(__name__)


def create_app(
    config: WebConfig,
    *,
    store: StateStore,
    enqueuer: Enqueuer,
    clock: Clock,
    http: httpx.Client | None = None,
    resolver: Resolver = system_resolver,
    async_redis: AsyncRedisClient | None = None,
) -> FastAPI:
    """The web application.

    Args:
        http: the client for the OAuth code exchange (one is made if None).
        async_redis: a client of the state store's Redis (same server and DB) for the event
            receiver's hot path; without it that path runs the sync client in a worker thread.
    """
    batches = store.event_batches(async_redis)
    batcher = ProductBatcher(batches, enqueuer, clock, window_s=config.batch_window_s, max_size=config.batch_max)
    flusher = BatchFlusher(batcher, config.flush_interval_s) if config.flush_interval_s > 0 else None
    # The code exchange is one small POST; no redirects, so a PIM cannot bounce us elsewhere.
    outbound = http or httpx.Client(timeout=httpx.Timeout(10.0), follow_redirects=False)
    ctx = WebContext(
        config=config,
        store=store,
        enqueuer=enqueuer,
        clock=clock,
        http=outbound,
        resolver=resolver,
        batcher=batcher,
        flusher=flusher,
        routes=SubscriptionRoutes(store, clock, ttl_s=config.route_cache_ttl_s),
        pim_urls=PimUrlChecker(
            PimUrlPolicy(allow_private=config.allow_private_pim, allowlist=config.pim_url_allowlist),
            resolver,
            workers=config.lookup_workers,
            max_pending=config.lookup_max_pending,
            timeout_s=config.lookup_timeout_s,
        ),
        activation_limits=RateLimiter(clock, per_minute=config.activation_per_minute, burst=config.activation_burst),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if flusher is not None:
            flusher.start()
        try:
            yield
        finally:
            if flusher is not None:
                flusher.stop()
            # The async client's connections belong to this event loop; a later loop (a test's
            # next client) opens new ones.
            await batches.aclose()
            if http is None:
                outbound.close()

    app = FastAPI(
        title="akeneo-sync",
        version=__version__,
        lifespan=lifespan,
        description="Akeneo app back end: activation, Event Platform receiver, sync API.",
    )
    for module in (activation, events, notifications, api, health):
        app.include_router(module.build_router(ctx))
    install_request_metrics(app)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes each offending `input`; a JSON `Infinity` there cannot be
        # serialised back (a 500), and echoing request data is needless anyway.
        errors = [
            {
                "type": str(err.get("type", "")),
                "loc": [str(part) for part in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
            }
            for err in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(StateError)
    async def state_unavailable(_request: Request, exc: StateError) -> JSONResponse:
        _log.warning("state_unavailable", error=exc.message)
        return JSONResponse(
            {"detail": "temporarily unavailable, retry later"}, status_code=503, headers={"Retry-After": "5"}
        )

    app.state.context = ctx
    return app
