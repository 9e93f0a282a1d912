"""The web side: OAuth activation, Event Platform receiver, enqueue/status API, health."""

from akeneo_sync.web.app import create_app
from akeneo_sync.web.config import WebConfig
from akeneo_sync.web.ports import Enqueuer, Resolver, SyncMode

__all__ = ["Enqueuer", "Resolver", "SyncMode", "WebConfig", "create_app"]
