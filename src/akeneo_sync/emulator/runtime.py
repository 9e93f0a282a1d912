"""The live parts of one emulator instance, shared by every route through the app state."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from akeneo_sync.emulator.auth import AuthRegistry
from akeneo_sync.emulator.catalog_data import ATTRIBUTES
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.event_platform import SubscriptionRegistry
from akeneo_sync.emulator.events import EventDispatcher
from akeneo_sync.emulator.faults import Faults
from akeneo_sync.emulator.openid import OpenIdIssuer
from akeneo_sync.emulator.rendering import RenderCache
from akeneo_sync.emulator.stats import Stats
from akeneo_sync.emulator.store import Store

__all__ = ["Emulator", "emulator_of"]


@dataclass(frozen=True, slots=True)
class Emulator:
    """Config, PIM state (and its rendered products), credentials, faults, stats, event delivery and
    subscriptions of one instance."""

    config: EmulatorConfig
    store: Store
    auth: AuthRegistry
    faults: Faults
    stats: Stats
    events: EventDispatcher
    event_platform: SubscriptionRegistry
    openid: OpenIdIssuer
    rendered: RenderCache

    @classmethod
    def build(cls, config: EmulatorConfig) -> Emulator:
        """Generate the seeded dataset and empty registries."""
        store = Store(config)
        rendered = RenderCache(config.render_cache_bytes, frozenset(ATTRIBUTES))
        store.watch(rendered)
        events = EventDispatcher(config.clock, config.event_retry_delays_s, config.event_timeout_s, config.seed)
        return cls(
            config=config,
            store=store,
            auth=AuthRegistry(config),
            faults=Faults(config.clock, config.latency_s),
            stats=Stats(),
            events=events,
            event_platform=SubscriptionRegistry(config.clock, events, config.seed),
            openid=OpenIdIssuer(config.clock),
            rendered=rendered,
        )

    def reset(self) -> None:
        """Back to the seeded state: products, and no apps, tokens, catalogs, faults, stats or subscriptions."""
        self.store.reset()
        self.auth.reset()
        self.faults.reset()
        self.stats.reset()
        self.events.reset()
        self.event_platform.reset()


def emulator_of(request: Request) -> Emulator:
    """The instance serving this request."""
    emulator: Emulator = request.app.state.emulator
    return emulator
