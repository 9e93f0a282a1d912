"""How an emulator instance is built: dataset size, seed, clock and protocol switches."""

from __future__ import annotations

from dataclasses import dataclass, field

from akeneo_sync.clock import Clock, SystemClock

__all__ = ["DEFAULT_APP_SCOPES", "EmulatorConfig"]

# What `POST /_emulator/tokens` grants when no scopes are given: the four catalog scopes
# the Catalogs for Apps docs require (content/apps/catalogs.md).
DEFAULT_APP_SCOPES: tuple[str, ...] = ("read_products", "read_catalogs", "write_catalogs", "delete_catalogs")

DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    """Everything that shapes one emulator instance; defaults follow Akeneo (docs/akeneo.md)."""

    products: int = 1_000
    seed: int = 1
    # Seeded product models (root models, each with 2-6 variant products besides `products`);
    # 0 keeps the dataset of simple products only.
    models: int = 0
    clock: Clock = field(default_factory=SystemClock)
    # Newest possible generated `updated` date; None = start of the clock's current UTC day, so
    # the dataset is identical for a whole day and never dated in the future.
    data_until_s: float | None = None
    # Span over which generated `created`/`updated` dates are spread back from `data_until_s`.
    history_s: float = 2 * 365 * DAY_S
    # How the generated `updated` dates are spread: catalog_data.DATE_PROFILES ("even", "bulk-import").
    date_profile: str = "even"
    # The authorization code lives 30 s (docs: content/apps/authentication-and-authorization.md).
    auth_code_ttl_s: float = 30.0
    # Connection tokens: 3600 s / 14 days by default (docs: content/rest-api/authentication.md).
    connection_token_ttl_s: float = 3600.0
    refresh_token_ttl_s: float = 1_209_600.0
    max_catalogs_per_app: int = 200
    max_mapping_targets: int = 600
    # PUT mapping schema: docs say 201, Akeneo's tests and demo-app say 204. We answer 204.
    put_schema_status: int = 204
    latency_s: float = 0.0
    # Answer `items_count` to `product-uuids?with_count=true`. A real PIM never does (its action
    # does not read the parameter); on here, the count path of a client stays testable.
    serve_counts: bool = False
    # product-uuids links without scheme and host, as one Akeneo version built them.
    path_only_uuid_links: bool = False
    # Budget of the rendered-product cache (rendering.RenderCache): ~0.5 KB per mapped and ~1.3 KB
    # per standard product, so 128 MiB keeps a 100k-product catalog's mapped products and then
    # stops growing (a 1M-product instance stays near 350 MB instead of 226 MB).
    render_cache_bytes: int = 128 * 2**20
    # Event Platform retry gaps; the real platform waits 5/10/20 minutes, compressed here.
    event_retry_delays_s: tuple[float, ...] = (0.2, 0.5, 1.0)
    event_timeout_s: float = 5.0

    def dataset_until(self) -> int:
        """The epoch second the generated history ends at."""
        if self.data_until_s is not None:
            return int(self.data_until_s)
        now = int(self.clock.now())
        return now - now % DAY_S
