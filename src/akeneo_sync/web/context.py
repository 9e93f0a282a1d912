"""`WebContext`: the collaborators every router closes over, built once in `create_app`."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from akeneo_sync.clock import Clock
from akeneo_sync.state import StateStore
from akeneo_sync.web.batching import ProductBatcher
from akeneo_sync.web.config import WebConfig
from akeneo_sync.web.flusher import BatchFlusher
from akeneo_sync.web.guard import PimUrlChecker, RateLimiter
from akeneo_sync.web.ports import Enqueuer, Resolver
from akeneo_sync.web.routing import SubscriptionRoutes

__all__ = ["WebContext"]


@dataclass(frozen=True, slots=True)
class WebContext:
    """Configuration, state store, enqueuer, clock and the outbound HTTP client of the web app."""

    config: WebConfig
    store: StateStore
    enqueuer: Enqueuer
    clock: Clock
    http: httpx.Client
    resolver: Resolver
    batcher: ProductBatcher
    # None when `flush_interval_s` is 0: requests then flush the batches they find due themselves.
    flusher: BatchFlusher | None
    routes: SubscriptionRoutes
    pim_urls: PimUrlChecker
    activation_limits: RateLimiter
