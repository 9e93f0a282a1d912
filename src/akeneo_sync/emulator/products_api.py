"""Catalog product endpoints: UUIDs, standard products and mapped products (docs/akeneo.md).

Every list is ordered by UUID ascending; `search_after` is the last UUID of the page and `next` is
emitted whenever a page is full, so the last page may be empty (IMPL-ONLY, GetProductUuidsAction).
A disabled catalog answers 200 with an `error` body on every one of these endpoints. Where the docs
are silent this follows Akeneo's code; docs/akeneo.md has the conformance table.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from akeneo_sync.emulator.catalog_data import ATTRIBUTES, atom
from akeneo_sync.emulator.catalogs_api import catalog_or_404
from akeneo_sync.emulator.mapping import ProductMapper, is_variants_mode
from akeneo_sync.emulator.protocol import (
    API_PREFIX,
    ApiError,
    authenticate,
    base_url,
    href,
    json_response,
    parse_atom,
    require_scopes,
)
from akeneo_sync.emulator.rendering import encode, json_bytes_response, page_body
from akeneo_sync.emulator.runtime import emulator_of
from akeneo_sync.emulator.store import Catalog, Product, ProductQuery

__all__ = [
    "NO_SCHEMA_BODY",
    "disabled_list",
    "expected",
    "page_query",
    "page_response",
    "read_catalog",
    "routes",
    "standard_product",
]

_SCOPES: Final = ("read_catalogs", "read_products")
_KNOWN_ATTRIBUTES: Final = frozenset(ATTRIBUTES)
_ASSOCIATIONS: Final = ("PACK", "UPSELL", "X_SELL", "SUBSTITUTION")
_NO_SCHEMA: Final = "Impossible to map products: no product mapping schema available for this catalog."
# Akeneo answers this 200 under `error` in one version (GetMappedProductsAction @226dec5c) and under
# `message` in the next (@0a7dfc9c); both keys at once serve a client written for either.
NO_SCHEMA_BODY: Final = {"error": _NO_SCHEMA, "message": _NO_SCHEMA}


def disabled_list(catalog: Catalog) -> str:
    # The documented text (docs: content/apps/catalogs.md "Troubleshooting").
    return (
        f'No products to synchronize. The catalog "{catalog.id}" has been disabled on the PIM side. '
        "Note that you can get catalogs status with the GET /api/rest/v1/catalogs endpoint."
    )


def _disabled_single(catalog: Catalog) -> str:
    return (
        f'No product to synchronize. The catalog "{catalog.id}" has been disabled on PIM side. '
        "Note that you can get catalogs status with the GET /api/rest/v1/catalogs endpoint."
    )


def standard_product(product: Product) -> dict[str, Any]:
    """A product in Akeneo's standard format."""
    return {
        "uuid": product.uuid,
        "enabled": product.enabled,
        "family": product.family,
        "categories": list(product.categories),
        "groups": [],
        "parent": product.parent,
        "values": {code: [{"locale": None, "scope": None, "data": data}] for code, data in product.values.items()},
        "created": atom(product.created),
        "updated": atom(product.updated),
        "associations": {a: {"products": [], "product_models": [], "groups": []} for a in _ASSOCIATIONS},
        "quantified_associations": {},
    }


def read_catalog(request: Request) -> Catalog:
    token = authenticate(request)
    require_scopes(token, _SCOPES, "access products")
    catalog = catalog_or_404(request, token)
    with emulator_of(request).store.lock:
        # A required target without a source makes Akeneo's product query fail; the handler then
        # finds the catalog invalid and disables it (GetMappedProductsHandler, ProductMappingRequiredFilters).
        if catalog.invalid or (catalog.enabled and catalog.required_sources() is None):
            catalog.enabled, catalog.invalid = False, False
    return catalog


def mapped_list_request(request: Request) -> tuple[Catalog, ProductQuery, dict[str, str]] | Response:
    """A mapped list's catalog and query, or the 200 Akeneo answers for a disabled catalog or one without a schema."""
    catalog = read_catalog(request)
    query, echo = page_query(request, 100)
    if not catalog.enabled:
        return json_response({"error": disabled_list(catalog)})
    if catalog.mapping_schema is None:
        return json_response(NO_SCHEMA_BODY)
    return catalog, query, echo


def page_query(request: Request, max_limit: int) -> tuple[ProductQuery, dict[str, str]]:
    """The page request and the parameters to echo into links (limit and dates only)."""
    params = request.query_params
    limit = 100
    if "limit" in params:
        try:
            limit = int(params["limit"])
        except ValueError:
            limit = 0
        if not 1 <= limit <= max_limit:
            raise ApiError(422, f"The limit must be an integer between 1 and {max_limit}.")
    # Akeneo's router writes the limit into every link, the default one too (GetProductUuidsAction).
    echo: dict[str, str] = {"limit": str(limit)}
    bounds: dict[str, int] = {}
    for name in ("updated_after", "updated_before"):
        if name in params:
            bounds[name] = parse_atom(params[name])
            echo[name] = params[name]
    search_after = params.get("search_after") or None
    return ProductQuery(limit=limit, search_after=search_after, **bounds), echo


def page_response(
    request: Request,
    items: list[bytes],
    last_uuid: str | None,
    query: ProductQuery,
    echo: dict[str, str],
    *,
    count: int,
    extra: dict[str, Any] | None = None,
    path_only: bool = False,
) -> Response:
    """A list page; `items` are encoded already and `count` says how many they are.

    Links are absolute unless `path_only` (one version of product-uuids generated them without
    `RouterInterface::ABSOLUTE_URL`: GetProductUuidsAction @18697e37, absolute @f272516c).
    """
    path = request.url.path

    def link(params: dict[str, str]) -> dict[str, str]:
        built = href(request, path, params)
        return {"href": built["href"].removeprefix(base_url(request))} if path_only else built

    self_params = dict(echo)
    if query.search_after is not None:
        self_params = {"search_after": query.search_after, **echo}
    links = {"self": link(self_params), "first": link(echo)}
    if count >= query.limit and last_uuid is not None:
        links["next"] = link({"search_after": last_uuid, **echo})
    return json_bytes_response(page_body(links, items, extra))


async def product_uuids(request: Request) -> Response:
    """GET /catalogs/{id}/product-uuids: limit 1..1000; `with_count` is ignored unless counts are on.

    Akeneo's GetProductUuidsAction::getParameters() reads only search_after, limit and the two
    dates, so a real PIM never answers a count; the emulator serves one only when asked to
    (`EmulatorConfig.serve_counts` or `PUT /_emulator/counts`), to keep that path testable.
    """
    catalog = read_catalog(request)
    query, echo = page_query(request, 1000)
    emulator = emulator_of(request)
    store = emulator.store
    with_count = store.serve_counts and request.query_params.get("with_count", "false").lower() in ("1", "true")
    if not catalog.enabled:
        return json_response({"error": disabled_list(catalog)})
    with store.lock:
        uuids = store.page_uuids(catalog, query)
        # GAP #7: the count's field name is undocumented; `items_count` is what the rest of the API uses.
        extra = {"items_count": store.count(catalog, query)} if with_count else None
    # One encoded list, brackets stripped: the page envelope joins its items with commas anyway.
    return page_response(
        request,
        [encode(uuids)[1:-1]],
        uuids[-1] if uuids else None,
        query,
        echo,
        count=len(uuids),
        extra=extra,
        path_only=emulator.config.path_only_uuid_links,
    )


async def products(request: Request) -> Response:
    """GET /catalogs/{id}/products: standard-format products, limit 1..1000."""
    catalog = read_catalog(request)
    query, echo = page_query(request, 1000)
    if not catalog.enabled:
        return json_response({"error": disabled_list(catalog)})
    emulator = emulator_of(request)
    with emulator.store.lock:
        uuids = emulator.store.page_uuids(catalog, query)
        items = emulator.rendered.standard(uuids, emulator.store.product)
    return page_response(request, items, uuids[-1] if uuids else None, query, echo, count=len(uuids))


async def product(request: Request) -> Response:
    """GET /catalogs/{id}/products/{uuid}."""
    catalog = read_catalog(request)
    if not catalog.enabled:
        return json_response({"error": _disabled_single(catalog)})
    emulator = emulator_of(request)
    with emulator.store.lock:
        uuid = emulator.store.selected_uuid(catalog, request.path_params["uuid"])
        if uuid is None:
            raise ApiError(404, _product_404(catalog, request.path_params["uuid"]))
        return json_bytes_response(emulator.rendered.standard([uuid], emulator.store.product)[0])


async def mapped_products(request: Request) -> Response:
    """GET /catalogs/{id}/mapped-products: limit 1..100 (as the Swagger; an older Akeneo took 1000)."""
    gate = mapped_list_request(request)
    if isinstance(gate, Response):
        return gate
    catalog, query, echo = gate
    emulator = emulator_of(request)
    with emulator.store.lock:
        # With a products-with-variants schema, variants come through mapped-models instead.
        simple_only = is_variants_mode(catalog.mapping_schema)
        uuids = emulator.store.page_uuids(catalog, query, simple_only=simple_only)
        items = emulator.rendered.mapped(catalog, uuids, emulator.store.product)
    return page_response(request, items, uuids[-1] if uuids else None, query, echo, count=len(uuids))


async def mapped_product(request: Request) -> Response:
    """GET /catalogs/{id}/mapped-products/{uuid}: undocumented; its 200 errors use `message`."""
    catalog = read_catalog(request)
    if not catalog.enabled:
        return json_response({"message": _disabled_single(catalog)})
    if catalog.mapping_schema is None:
        return json_response(NO_SCHEMA_BODY)
    emulator = emulator_of(request)
    with emulator.store.lock:
        uuid = emulator.store.selected_uuid(catalog, request.path_params["uuid"])
        if uuid is None:
            raise ApiError(404, _product_404(catalog, request.path_params["uuid"]))
        return json_bytes_response(emulator.rendered.mapped(catalog, [uuid], emulator.store.product)[0])


def _product_404(catalog: Catalog, uuid: str) -> str:
    return (
        f'Either catalog "{catalog.id}" does not exist or you can\'t access it, '
        f'or product "{uuid}" does not exist or you do not have permission to access it.'
    )


def expected(catalog: Catalog, selected: list[Product]) -> dict[str, Any]:
    """The ground truth of a catalog for `GET /_emulator/catalogs/{id}/expected`."""
    mapped = {}
    if catalog.mapping_schema is not None:
        mapper = ProductMapper.of(catalog, _KNOWN_ATTRIBUTES)
        mapped = {p.uuid: mapper(p) for p in selected}
    return {"uuids": [p.uuid for p in selected], "mapped_products": mapped}


def routes() -> list[Route]:
    """The product routes of a catalog."""
    base = f"{API_PREFIX}/catalogs/{{id}}"
    return [
        Route(base + "/product-uuids", product_uuids, methods=["GET"], name="get_app_catalog_product_uuids"),
        Route(base + "/products", products, methods=["GET"], name="get_app_catalog_products"),
        Route(base + "/products/{uuid}", product, methods=["GET"], name="get_app_catalog_products_uuid"),
        Route(base + "/mapped-products", mapped_products, methods=["GET"], name="get_app_catalog_mapped_products"),
        Route(
            base + "/mapped-products/{uuid}",
            mapped_product,
            methods=["GET"],
            name="get_app_catalog_mapped_product_uuid",
        ),
    ]
