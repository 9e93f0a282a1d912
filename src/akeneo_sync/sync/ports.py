"""What the sync engine needs from the outside, as protocols.

`CatalogSource` is implemented by `akeneo.client.CatalogClient` (one per tenant); tests may use
the real client against the bundled emulator. Pages are fetched one at a time so the engine can
checkpoint the next page's URL after each push and resume there after a crash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from akeneo_sync.akeneo.types import CatalogInfo, MappedModelItem, MappedProduct, MappedVariant, Page

__all__ = ["CatalogSource"]


class CatalogSource(Protocol):
    """Read access to one tenant's catalogs in the PIM.

    Every method raises `CatalogDisabledError` when the PIM answers 200 with an `error` body,
    `CatalogNotFoundError` on 404, `TokenRevokedError` on 401 and the retryable `PimError`s once
    its retry budget is spent.
    """

    def get_catalog(self, catalog_id: str) -> CatalogInfo:
        """The catalog's current description (name, enabled flag)."""
        ...

    def mapped_products_page(
        self,
        catalog_id: str,
        *,
        next_url: str | None = None,
        search_after: str | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        limit: int = 100,
    ) -> Page[MappedProduct]:
        """The first page for these filters, or the page at `next_url` (a `_links.next.href`)."""
        ...

    def products_page(
        self,
        catalog_id: str,
        *,
        next_url: str | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        limit: int = 100,
    ) -> Page[dict[str, Any]]:
        """The first page of standard-format products (with their `updated` date) for these filters."""
        ...

    def product_uuids_page(
        self,
        catalog_id: str,
        *,
        next_url: str | None = None,
        search_after: str | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        limit: int = 1000,
    ) -> Page[str]:
        """The first page of product UUIDs for these filters, or the page at `next_url`."""
        ...

    def count_products(
        self,
        catalog_id: str,
        *,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
    ) -> int | None:
        """How many products match these filters (one request), or None when the PIM gives no count."""
        ...

    def get_mapped_product(self, catalog_id: str, product_uuid: str) -> MappedProduct | None:
        """One mapped product, or None when it is not (or no longer) in the catalog."""
        ...

    def get_product(self, catalog_id: str, product_uuid: str) -> dict[str, Any] | None:
        """One standard-format product (its `parent` names a variant's model), or None when it left."""
        ...

    def mapped_models_page(
        self,
        catalog_id: str,
        *,
        next_url: str | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        limit: int = 100,
    ) -> Page[MappedModelItem]:
        """The first page of mapped product models (variants mode), or the page at `next_url`."""
        ...

    def model_variants_page(
        self, catalog_id: str, model_code: str, *, next_url: str | None = None, limit: int = 100
    ) -> Page[MappedVariant] | None:
        """A page of a model's mapped variants; None when the model is not (or no longer) in the catalog."""
        ...
