"""`AkeneoClient`: the Catalogs for Apps API with retries, fair use and cursor pagination.

Every call goes through `akeneo.http.PimSender` (fair-use slot, token, retries, typed errors);
this module builds the requests and turns the answers into typed values (`akeneo.answers`:
`CatalogDisabledError` for the 200-with-`error` body, a retryable `PimUnavailableError` for a
2xx body it cannot read).

The same 200-with-`error` body on mapped products also means "this catalog has no mapping
schema" (GetMappedProductsAction). The text is never matched: when the client knows the schema
to push (`mapping_schemas`), it asks the catalog whether it is enabled; an enabled catalog gets
its schema again and the page is read once more; a disabled one raises `CatalogDisabledError`.

Pages are followed through `_links.next.href` only (the cursor is opaque). A link is resolved
against the PIM's base URL (some PIM versions send path-only links) and must name the PIM's host;
its scheme and port are not compared (a PIM behind a TLS-terminating proxy writes `http://`
links) and the request goes to the PIM base's scheme and host with the link's path and query.
A link to another host is refused: the bearer token must never leave for a server that is not
the PIM.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, Final, TypeVar
from urllib.parse import quote

import httpx

from akeneo_sync.akeneo.answers import AnswerReader, on_pim
from akeneo_sync.akeneo.auth import TokenProvider
from akeneo_sync.akeneo.http import PimSender, RetryPolicy
from akeneo_sync.akeneo.models import (
    CatalogListPage,
    CatalogModel,
    Links,
    ListQuery,
    MappedProductsPage,
    ProductUuidsPage,
    SearchAfterPage,
    disabled_reason,
)
from akeneo_sync.akeneo.ratelimit import FairUseLimiter
from akeneo_sync.akeneo.types import CatalogInfo, MappedModelItem, MappedProduct, MappedVariant, Page, follow_pages
from akeneo_sync.clock import Clock
from akeneo_sync.errors import (
    CatalogNotFoundError,
    MappingSchemaMissingError,
)
from akeneo_sync.logging import get_logger

__all__ = ["AkeneoClient", "CatalogClient"]

_log = get_logger(__name__)
_API: Final = "/api/rest/v1"
_T = TypeVar("_T")
# The endpoints whose 200-with-error body may mean "no mapping schema" rather than "disabled".
_MAPPED: Final = frozenset({"mapped-products", "mapped-product", "mapped-models", "mapped-variants"})

SchemaSource = Callable[[str], Mapping[str, Any] | None]
"""The mapping schema the app pushes for a catalog id (None: the app has none for it)."""


class AkeneoClient:
    """One tenant's view of one PIM: catalogs, mapping schema and catalog products."""

    def __init__(
        self,
        base_url: str,
        *,
        http: httpx.Client,
        tokens: TokenProvider,
        limiter: FairUseLimiter,
        clock: Clock,
        rng: random.Random,
        max_attempts: int = 6,
        deadline_s: float = 120.0,
        tenant: str = "",
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 30.0,
        mapping_schemas: SchemaSource | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._tenant = tenant
        self._answers = AnswerReader(tenant)
        self._schemas = mapping_schemas
        self._sender = PimSender(
            http,
            tokens=tokens,
            limiter=limiter,
            clock=clock,
            rng=rng,
            policy=RetryPolicy(max_attempts, deadline_s, backoff_base_s, backoff_cap_s),
            tenant=tenant,
        )

    def __repr__(self) -> str:
        return f"AkeneoClient({self._base!r}, tenant={self._tenant!r})"

    # -- catalogs ------------------------------------------------------------------------------

    def catalogs_page(self, *, next_url: str | None = None, limit: int = 100) -> Page[CatalogInfo]:
        """The first page of this app's catalogs, or the page at `next_url`."""
        url = self._on_pim(next_url) if next_url else self._url("/catalogs")
        response = self._sender.send("GET", "catalogs", url, params=None if next_url else {"limit": limit})
        page = self._answers.parse(CatalogListPage, response, "catalogs")
        items = [item.to_info() for item in page.embedded.items]
        return Page(items=items, next_url=self._next(page.links), url=str(response.request.url))

    def iter_catalogs(self, *, limit: int = 100) -> Iterator[CatalogInfo]:
        """Every catalog of this app, following `_links.next.href`."""
        return follow_pages(lambda next_url: self.catalogs_page(next_url=next_url, limit=limit))

    def create_catalog(
        self, name: str, *, managed_currencies: list[str] | None = None, managed_locales: list[str] | None = None
    ) -> CatalogInfo:
        """Create a catalog (the PIM creates it disabled)."""
        body = _catalog_body(name, managed_currencies, managed_locales)
        response = self._sender.send("POST", "catalogs", self._url("/catalogs"), body=body)
        return self._answers.parse(CatalogModel, response, "catalogs").to_info()

    def get_catalog(self, catalog_id: str) -> CatalogInfo:
        """The catalog's current description."""
        response = self._sender.send("GET", "catalog", self._catalog_url(catalog_id), catalog=catalog_id)
        return self._answers.parse(CatalogModel, response, "catalog", catalog_id).to_info()

    def delete_catalog(self, catalog_id: str) -> None:
        """Delete a catalog."""
        self._sender.send("DELETE", "catalog", self._catalog_url(catalog_id), catalog=catalog_id)

    def put_mapping_schema(self, catalog_id: str, schema: Mapping[str, Any]) -> None:
        """Push the product mapping schema; any 2xx is success (docs say 201, Akeneo answers 204)."""
        url = self._catalog_url(catalog_id, "/mapping-schemas/product")
        self._sender.send("PUT", "mapping-schema", url, body=dict(schema), catalog=catalog_id)

    def get_mapping_schema(self, catalog_id: str) -> dict[str, Any]:
        """The product mapping schema stored for the catalog."""
        url = self._catalog_url(catalog_id, "/mapping-schemas/product")
        data = self._answers.json(
            self._sender.send("GET", "mapping-schema", url, catalog=catalog_id), "mapping-schema", catalog_id
        )
        if not isinstance(data, dict):
            raise self._answers.malformed("mapping-schema", catalog_id, "a schema that is not a JSON object")
        return data

    def delete_mapping_schema(self, catalog_id: str) -> None:
        """Remove the product mapping schema."""
        url = self._catalog_url(catalog_id, "/mapping-schemas/product")
        self._sender.send("DELETE", "mapping-schema", url, catalog=catalog_id)

    # -- catalog products ---------------------------------------------------------------------

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
        """The first page (after `search_after`) of product UUIDs for these filters, or the page at `next_url`."""
        query = ListQuery(updated_after, updated_before, limit, search_after)
        return self._list(ProductUuidsPage, "product-uuids", catalog_id, next_url, query)

    def count_products(
        self,
        catalog_id: str,
        *,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
    ) -> int | None:
        """How many products the catalog holds for these filters; None when the PIM gives no count.

        One `product-uuids?with_count=true&limit=1` request. The count's field name is not
        documented (docs/akeneo.md, "Catalog resource and product endpoints"); `items_count` is
        what the rest of the API uses, and a PIM that answers without it yields None rather than
        a guess.
        """
        params = {**ListQuery(updated_after, updated_before, 1).params(), "with_count": "true"}
        url = self._catalog_url(catalog_id, "/product-uuids")
        response = self._sender.send("GET", "product-uuids", url, params=params, catalog=catalog_id)
        data = self._answers.json(response, "product-uuids", catalog_id)
        self._answers.raise_if_disabled(data, "product-uuids", catalog_id, single=False)
        count = data.get("items_count") if isinstance(data, dict) else None
        return count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None

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
        """The first page (after `search_after`) of mapped products for these filters, or the page at `next_url`."""
        query = ListQuery(updated_after, updated_before, limit, search_after)
        return self._list(MappedProductsPage, "mapped-products", catalog_id, next_url, query)

    def products_page(
        self,
        catalog_id: str,
        *,
        next_url: str | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        limit: int = 100,
    ) -> Page[dict[str, Any]]:
        """The first page of standard-format products for these filters, or the page at `next_url`."""
        query = ListQuery(updated_after, updated_before, limit)
        return self._list(MappedProductsPage, "products", catalog_id, next_url, query)

    def get_mapped_product(self, catalog_id: str, product_uuid: str) -> MappedProduct | None:
        """One mapped product, or None when it is not (or no longer) in the catalog."""
        return self._single("mapped-product", catalog_id, f"/mapped-products/{quote(product_uuid, safe='')}")

    def get_product(self, catalog_id: str, product_uuid: str) -> dict[str, Any] | None:
        """One standard-format product of the catalog, or None when it is not in it."""
        return self._single("product", catalog_id, f"/products/{quote(product_uuid, safe='')}")

    # -- catalog product models ----------------------------------------------------------------

    def mapped_models_page(
        self,
        catalog_id: str,
        *,
        next_url: str | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        limit: int = 100,
    ) -> Page[MappedModelItem]:
        """The first page of mapped product models for these filters, or the page at `next_url`.

        Items are raw objects (`code`, model-level targets, `variants`: the URL of the model's
        variants endpoint); a catalog in flat mode answers empty pages.
        """
        query = ListQuery(updated_after, updated_before, limit)
        return self._list(MappedProductsPage, "mapped-models", catalog_id, next_url, query)

    def model_variants_page(
        self, catalog_id: str, model_code: str, *, next_url: str | None = None, limit: int = 100
    ) -> Page[MappedVariant] | None:
        """The first page of a model's mapped variants, or the page at `next_url`; None on a 404.

        Items are raw objects (`uuid`, targets, `variation_axes_values`). The PIM answers 404
        for a model that is not (or no longer) in the catalog, and for a catalog that is gone:
        the next catalog read tells the two apart.
        """
        path = f"/mapped-models/{quote(model_code, safe='')}/variants"
        query = ListQuery(None, None, limit)
        try:
            return self._list(MappedProductsPage, "mapped-variants", catalog_id, next_url, query, path=path)
        except CatalogNotFoundError:
            return None

    # -- plumbing -----------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self._base}{_API}{path}"

    def _catalog_url(self, catalog_id: str, suffix: str = "") -> str:
        return self._url(f"/catalogs/{quote(catalog_id, safe='')}{suffix}")

    def _list(
        self,
        model: type[SearchAfterPage],
        endpoint: str,
        catalog_id: str,
        next_url: str | None,
        query: ListQuery,
        *,
        path: str | None = None,
    ) -> Page[Any]:
        url = self._on_pim(next_url) if next_url else self._catalog_url(catalog_id, path or f"/{endpoint}")
        params = None if next_url else query.params()

        def read() -> tuple[httpx.Response, object]:
            response = self._sender.send("GET", endpoint, url, params=params, catalog=catalog_id)
            return response, self._answers.json(response, endpoint, catalog_id)

        response, data = read()
        if self._schema_restored(data, endpoint, catalog_id, single=False):
            response, data = read()
            self._answers.raise_if_still_unmapped(data, endpoint, catalog_id, single=False)
        self._answers.raise_if_disabled(data, endpoint, catalog_id, single=False)
        page = self._answers.validate(model, data, endpoint, catalog_id)
        return Page(items=page.item_list(), next_url=self._next(page.links), url=str(response.request.url))

    def _single(self, endpoint: str, catalog_id: str, suffix: str) -> dict[str, Any] | None:
        def read() -> object:
            response = self._sender.send("GET", endpoint, self._catalog_url(catalog_id, suffix), catalog=catalog_id)
            return self._answers.json(response, endpoint, catalog_id)

        try:
            data = read()
            if self._schema_restored(data, endpoint, catalog_id, single=True):
                data = read()
                self._answers.raise_if_still_unmapped(data, endpoint, catalog_id, single=True)
        except CatalogNotFoundError:
            return None
        self._answers.raise_if_disabled(data, endpoint, catalog_id, single=True)
        if not isinstance(data, dict):
            raise self._answers.malformed(endpoint, catalog_id, "a product that is not a JSON object")
        return data

    def _schema_restored(self, data: object, endpoint: str, catalog_id: str, *, single: bool) -> bool:
        """Whether an error body on mapped products was "no mapping schema", now pushed again.

        Only an enabled catalog can be missing its schema (a disabled one answers the same body
        for being disabled), so the catalog is asked first; the wording is never matched.
        """
        if self._schemas is None or endpoint not in _MAPPED or disabled_reason(data, single=single) is None:
            return False
        if not self.get_catalog(catalog_id).enabled:
            return False
        schema = self._schemas(catalog_id)
        if schema is None:
            raise MappingSchemaMissingError(
                "the PIM has no mapping schema for this enabled catalog and the app has none configured for it",
                endpoint=endpoint,
                status=200,
                tenant=self._tenant,
                catalog=catalog_id,
            )
        _log.warning("pim_mapping_schema_restored", endpoint=endpoint, catalog=catalog_id, tenant=self._tenant)
        self.put_mapping_schema(catalog_id, schema)
        return True

    def _next(self, links: Links) -> str | None:
        if links.next is None:
            return None
        return self._on_pim(links.next.href)

    def _on_pim(self, url: str) -> str:
        return on_pim(self._base, url, self._tenant)


def _catalog_body(name: str, currencies: list[str] | None, locales: list[str] | None) -> dict[str, Any]:
    optional = {"managed_currencies": currencies, "managed_locales": locales}
    return {"name": name} | {key: value for key, value in optional.items() if value is not None}


CatalogClient = AkeneoClient
"""The client as the worker hands it to the engine.

It satisfies the engine's `sync.ports.CatalogSource` structurally: the client does not import the
engine, and mypy checks the fit where the worker builds the engine (`worker.jobs.build_engine`).
"""
