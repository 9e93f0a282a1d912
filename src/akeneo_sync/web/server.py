"""Composition root of the web process: `Settings` in, a served FastAPI app out.

The broker is built by the caller (`broker`, the CLI passes the worker's `build_broker`): the web
side sends messages by actor name and does not import the worker package (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable

import dramatiq
import uvicorn
from fastapi import FastAPI

from akeneo_sync.clock import SystemClock
from akeneo_sync.observability import initialize_series
from akeneo_sync.settings import Settings
from akeneo_sync.state import StateStore, TokenCipher
from akeneo_sync.state.connect import RedisClient, connect, connect_async
from akeneo_sync.web.app import create_app
from akeneo_sync.web.broker_enqueuer import BrokerEnqueuer
from akeneo_sync.web.config import WebConfig
from akeneo_sync.web.ports import Enqueuer

__all__ = ["BrokerFactory", "build_web_app", "serve"]

BrokerFactory = Callable[[RedisClient], dramatiq.Broker]
"""Builds the Dramatiq broker on a Redis client."""


def build_web_app(settings: Settings, *, broker: BrokerFactory, enqueuer: Enqueuer | None = None) -> FastAPI:
    """The web app wired from settings: Redis state store, Dramatiq broker, system clock and DNS."""
    config = WebConfig.from_settings(settings)
    initialize_series()
    # Timeouts and keepalive: a half-open connection must fail a request, not hang the pod.
    client = connect(settings.redis_url)
    store = StateStore(client, cipher=TokenCipher(settings.secret("encryption_key")), clock=SystemClock())
    if enqueuer is None:
        enqueuer = BrokerEnqueuer(
            broker(client),
            enabled_catalogs=lambda tenant: [record.id for record in store.catalogs.list(tenant) if record.is_live],
        )
    return create_app(
        config, store=store, enqueuer=enqueuer, clock=SystemClock(), async_redis=connect_async(settings.redis_url)
    )


def serve(settings: Settings, *, broker: BrokerFactory, host: str = "127.0.0.1", port: int = 8000) -> int:
    """Serve until stopped (SIGINT/SIGTERM); returns the exit code."""
    app = build_web_app(settings, broker=broker)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, proxy_headers=True)
    return 0
