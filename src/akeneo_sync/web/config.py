"""`WebConfig`: the settings the web side needs, taken once from `Settings`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from akeneo_sync.errors import ConfigError
from akeneo_sync.settings import Settings

__all__ = ["WebConfig"]


@dataclass(frozen=True, slots=True)
class WebConfig:
    """Trusted, already validated configuration of the web app (secrets in clear: never log it)."""

    client_id: str
    client_secret: str
    public_url: str
    scopes: tuple[str, ...]
    api_key: str
    event_secrets: tuple[str, ...]
    pim_url_allowlist: re.Pattern[str] | None = None
    allow_private_pim: bool = False
    # The PIM's authorization code lives 30 s; a user may take longer on the consent page.
    state_ttl_s: float = 600.0
    event_dedupe_ttl_s: int = 86400
    batch_window_s: float = 1.0
    batch_max: int = 100
    # How often the background flusher looks for batches whose window has passed; 0 disables it.
    flush_interval_s: float = 0.5
    # How long a pod trusts "this subscription routes to this active tenant" (0: always ask Redis).
    route_cache_ttl_s: float = 5.0
    # Unauthenticated /activate and /callback: name lookups on their own few threads, a deadline
    # each, a bound on how many wait; a request budget per client; a total deadline on the exchange.
    lookup_timeout_s: float = 2.0
    lookup_workers: int = 4
    lookup_max_pending: int = 16
    activation_per_minute: float = 20.0
    activation_burst: int = 20
    exchange_deadline_s: float = 10.0
    # Signed deliveries being handled at once on a pod before /events answers 429 (back-pressure).
    max_inflight_events: int = 256

    def __repr__(self) -> str:
        return f"WebConfig(client_id={self.client_id!r}, public_url={self.public_url!r})"

    @classmethod
    def from_settings(cls, settings: Settings) -> WebConfig:
        """The web configuration; `ConfigError` when a setting the web side needs is missing."""
        settings.require("client_id", "client_secret", "api_key", "event_secrets", "encryption_key")
        client_secret, api_key = settings.client_secret, settings.api_key
        if client_secret is None or api_key is None:  # pragma: no cover - require() raised already
            raise ConfigError("missing required settings: AKENEO_SYNC_CLIENT_SECRET, AKENEO_SYNC_API_KEY")
        return cls(
            client_id=settings.client_id,
            client_secret=client_secret.get_secret_value(),
            public_url=settings.public_url.rstrip("/"),
            scopes=settings.scopes,
            api_key=api_key.get_secret_value(),
            event_secrets=tuple(secret.get_secret_value() for secret in settings.event_secrets),
            pim_url_allowlist=re.compile(settings.pim_url_allowlist) if settings.pim_url_allowlist else None,
            allow_private_pim=settings.allow_private_pim,
        )
