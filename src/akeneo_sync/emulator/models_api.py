"""Mapped models and their variants: `GET /catalogs/{id}/mapped-models[/{code}/variants]`.

Paging as on the product lists (docs/akeneo.md, conformance rows 20-27): models by code ascending,
`search_after` the page's last code; variants by UUID ascending, `search_after` the last UUID;
`limit` 1..100 (default 100, written into every link); `next` whenever a page is full; absolute
links; `updated_after`/`updated_before` strict alone and inclusive together, on the root model's
own date for models and on the variant's (its ancestors' included) for variants. A disabled
catalog answers 200 with `error`, before its schema is looked at; no schema answers the 200 of
mapped-products. A schema without `variants` (flat mode) maps no model: the pages are empty.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from akeneo_sync.emulator.catalog_data import ATTRIBUTES
from akeneo_sync.emulator.mapping import VARIANT_AXIS_ATTRIBUTES, is_variants_mode
from akeneo_sync.emulator.model_mapping import ModelMapper, VariantMapper
from akeneo_sync.emulator.model_store import ModelStore
from akeneo_sync.emulator.products_api import mapped_list_request, page_response
from akeneo_sync.emulator.protocol import API_PREFIX, ApiError, base_url
from akeneo_sync.emulator.rendering import encode
from akeneo_sync.emulator.runtime import Emulator, emulator_of
from akeneo_sync.emulator.store import Catalog

__all__ = ["expected_models", "routes"]

_KNOWN: Final = frozenset(ATTRIBUTES) | VARIANT_AXIS_ATTRIBUTES


def _variants_url(base: str, catalog: Catalog, code: str) -> str:
    return f"{base}{API_PREFIX}/catalogs/{catalog.id}/mapped-models/{code}/variants"


def _mapped_models(emulator: Emulator, catalog: Catalog, codes: list[str], base: str) -> list[dict[str, Any]]:
    store, models = emulator.store, ModelStore(emulator.store)
    mapper = ModelMapper(catalog, _KNOWN)
    out = []
    for code in codes:
        root = store.models[code]
        out.append(mapper(root, store.inherited_values(code), models.axes(root), _variants_url(base, catalog, code)))
    return out


def _mapped_variants(emulator: Emulator, catalog: Catalog, root: str, uuids: list[str]) -> list[dict[str, Any]]:
    store = emulator.store
    model = store.models[root]
    axes, mapper = ModelStore(store).axes(model), VariantMapper(catalog, _KNOWN)
    return [mapper(store.product(uuid), axes) for uuid in uuids]


async def mapped_models(request: Request) -> Response:
    """GET /catalogs/{id}/mapped-models: root models holding a selected variant, by code."""
    gate = mapped_list_request(request)
    if isinstance(gate, Response):
        return gate
    catalog, query, echo = gate
    emulator = emulator_of(request)
    with emulator.store.lock:
        page = ModelStore(emulator.store).page(catalog, query) if is_variants_mode(catalog.mapping_schema) else []
        items = _mapped_models(emulator, catalog, [m.code for m in page], base_url(request))
    last = page[-1].code if page else None
    return page_response(request, [encode(i) for i in items], last, query, echo, count=len(items))


async def mapped_variants(request: Request) -> Response:
    """GET /catalogs/{id}/mapped-models/{code}/variants: the model's selected variants, by UUID."""
    gate = mapped_list_request(request)
    if isinstance(gate, Response):
        return gate
    catalog, query, echo = gate
    emulator = emulator_of(request)
    code = request.path_params["model_code"]
    with emulator.store.lock:
        models = ModelStore(emulator.store)
        if (
            not is_variants_mode(catalog.mapping_schema)
            or models.root(code) is None
            or not models.selected(catalog, code)
        ):
            raise ApiError(
                404,
                f'Either catalog "{catalog.id}" does not exist or you can\'t access it, '
                f'or product model "{code}" does not exist or you do not have permission to access it.',
            )
        uuids = models.variants_page(catalog, code, query)
        items = _mapped_variants(emulator, catalog, code, uuids)
    return page_response(
        request, [encode(i) for i in items], uuids[-1] if uuids else None, query, echo, count=len(items)
    )


def expected_models(emulator: Emulator, catalog: Catalog, base: str) -> dict[str, Any]:
    """Every mapped model of the catalog with its mapped variants (the admin's ground truth)."""
    if not is_variants_mode(catalog.mapping_schema):
        return {}
    store, models = emulator.store, ModelStore(emulator.store)
    with store.lock:
        roots = sorted(code for code, m in store.models.items() if m.parent is None and models.selected(catalog, code))
        mapped = _mapped_models(emulator, catalog, roots, base)
        return {
            code: {
                **model,
                "variants": _mapped_variants(
                    emulator, catalog, code, store.matching(catalog, models.variant_uuids(code))
                ),
            }
            for code, model in zip(roots, mapped, strict=True)
        }


def routes() -> list[Route]:
    """The mapped-models routes of a catalog."""
    base = f"{API_PREFIX}/catalogs/{{id}}/mapped-models"
    return [
        Route(base, mapped_models, methods=["GET"], name="get_app_catalog_mapped_models"),
        Route(
            base + "/{model_code}/variants", mapped_variants, methods=["GET"], name="get_app_catalog_mapped_variants"
        ),
    ]
