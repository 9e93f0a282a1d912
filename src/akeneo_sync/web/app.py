"""`create_app`: the web side's FastAPI application, assembled from injected collaborators."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from akeneo_sync import __version__
from akeneo_sync.clock import Clock
from akeneo_sync.errors import AkeneoSyncError, StateError
from akeneo_sync.logging import get_logger
from akeneo_sync.state import StateStore
from akeneo_sync.web import activation, api, events, health, notifications
from akeneo_sync.web.batching import ProductBatcher
from akeneo_sync.web.config import WebConfig
from akeneo_sync.web.context import WebContext
from akeneo_sync.web.keys import WebKeys
from akeneo_sync.web.ports import Enqueuer, Resolver
from akeneo_sync.web.urlcheck import system_resolver

__all__ = ["BatchFlusher", "create_app"]

_log = get_logger(__name__)


class BatchFlusher:
    """A daemon thread that flushes event batches whose window passed with no request to notice."""

    def __init__(self, batcher: ProductBatcher, interval_s: float) -> None:
        self._batcher = batcher
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-batch-flusher", daemon=True)

    def start(self) -> None:
        """Start flushing in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait for the thread; pending batches stay in Redis for another pod."""
        self._stop.set()
        self._thread.join(timeout=self._interval_s + 5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self._batcher.flush_due()
            except AkeneoSyncError as exc:
                _log.warning("event_batch_flush_failed", error=type(exc).__name__)


def create_app(
    config: WebConfig,
    *,
    store: StateStore,
    enqueuer: Enqueuer,
    clock: Clock,
    http: httpx.Client | None = None,
    resolver: Resolver = system_resolver,
) -> FastAPI:
    """The web application; `http` is the client for the OAuth code exchange (one is made if None)."""
    keys = WebKeys(store.keys.prefix)
    batcher = ProductBatcher(store.redis, keys, enqueuer, clock, window_s=config.batch_window_s,
                             max_size=config.batch_max)
    # The code exchange is one small POST; no redirects, so a PIM cannot bounce us elsewhere.
    outbound = http or httpx.Client(timeout=httpx.Timeout(10.0), follow_redirects=False)
    ctx = WebContext(config=config, store=store, enqueuer=enqueuer, clock=clock, http=outbound,
                     resolver=resolver, keys=keys, batcher=batcher)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        flusher = BatchFlusher(batcher, config.flush_interval_s) if config.flush_interval_s > 0 else None
        if flusher is not None:
            flusher.start()
        try:
            yield
        finally:
            if flusher is not None:
                flusher.stop()
            if http is None:
                outbound.close()

    app = FastAPI(title="akeneo-sync", version=__version__, lifespan=lifespan,
                  description="Akeneo app back end: activation, Event Platform receiver, sync API.")
    for module in (activation, events, notifications, api, health):
        app.include_router(module.build_router(ctx))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes each offending `input`; a JSON `Infinity` there cannot be
        # serialised back (a 500), and echoing request data is needless anyway.
        errors = [{"type": str(err.get("type", "")), "loc": [str(part) for part in err.get("loc", ())],
                   "msg": str(err.get("msg", ""))} for err in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(StateError)
    async def state_unavailable(_request: Request, exc: StateError) -> JSONResponse:
        _log.warning("state_unavailable", error=exc.message)
        return JSONResponse({"detail": "temporarily unavailable, retry later"}, status_code=503,
                            headers={"Retry-After": "5"})

    app.state.context = ctx
    return app
