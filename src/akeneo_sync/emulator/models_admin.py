"""The `/_emulator/models` admin routes (no auth, not Akeneo): product models and their variants.

Every edit sends the Event Platform events a PIM would: `product-model.created/updated/deleted`
per model (keyed by code under `data.product_model`), `product.created/deleted` per variant.
A variant is edited or deleted like any product (`PATCH`/`DELETE /_emulator/products/{uuid}`).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from akeneo_sync.emulator.admin_bodies import DEFAULT_AUTHOR, ModelBody, ModelEdit, VariantBody, parse_body
from akeneo_sync.emulator.model_store import ModelChange, ModelStore, VariantIn
from akeneo_sync.emulator.models_api import expected_models
from akeneo_sync.emulator.protocol import ApiError, base_url, json_response
from akeneo_sync.emulator.runtime import Emulator, emulator_of
from akeneo_sync.emulator.store import StoreError

__all__ = ["routes"]


def _variant(body: VariantBody) -> VariantIn:
    return VariantIn(axes=dict(body.axes), values=dict(body.values), enabled=body.enabled, uuid=body.uuid)


def _announce(emulator: Emulator, change: ModelChange, author: dict[str, str] | None) -> None:
    who = author or DEFAULT_AUTHOR
    events = emulator.events
    for code in change.models_created:
        events.model_changed("created", code, who)
    for code in change.models_updated:
        events.model_changed("updated", code, who)
    for uuid in change.variants_created:
        product = emulator.store.get_product(uuid)
        events.product_changed("created", uuid, who, product.values.get("sku") if product else None)
    for uuid in change.variants_deleted:
        events.product_changed("deleted", uuid, who)
    for code in change.models_deleted:
        events.model_changed("deleted", code, who)


def _answer(change: ModelChange, status: int = 200) -> Response:
    return json_response(
        {
            "models_created": change.models_created,
            "models_updated": change.models_updated,
            "models_deleted": change.models_deleted,
            "variants_created": change.variants_created,
            "variants_deleted": change.variants_deleted,
        },
        status,
    )


async def create_model(request: Request) -> Response:
    """Create a root model (its sub-models follow from its variants' first axis) and its variants."""
    body = parse_body(ModelBody, await request.body())
    emulator = emulator_of(request)
    try:
        change = ModelStore(emulator.store).create(
            body.code, body.family, body.values, body.categories, [_variant(v) for v in body.variants]
        )
    except StoreError as exc:
        raise ApiError(exc.status, exc.message) from exc
    _announce(emulator, change, body.author)
    return _answer(change, 201)


async def add_variant(request: Request) -> Response:
    """Add a variant to a root model."""
    body = parse_body(VariantBody, await request.body())
    emulator = emulator_of(request)
    try:
        change = ModelStore(emulator.store).add_variant(request.path_params["code"], _variant(body))
    except StoreError as exc:
        raise ApiError(exc.status, exc.message) from exc
    _announce(emulator, change, body.author)
    return _answer(change, 201)


async def update_model(request: Request) -> Response:
    """Edit a model's values or categories; bumps its `updated` and its variants'."""
    body = parse_body(ModelEdit, await request.body())
    emulator = emulator_of(request)
    try:
        change = ModelStore(emulator.store).update(request.path_params["code"], body.values, body.categories)
    except StoreError as exc:
        raise ApiError(exc.status, exc.message) from exc
    _announce(emulator, change, body.author)
    return _answer(change)


async def delete_model(request: Request) -> Response:
    """Delete a model with its sub-models and variant products."""
    emulator = emulator_of(request)
    try:
        change = ModelStore(emulator.store).delete(request.path_params["code"])
    except StoreError as exc:
        raise ApiError(exc.status, exc.message) from exc
    _announce(emulator, change, None)
    return _answer(change)


async def get_model(request: Request) -> Response:
    """A model as the PIM holds it: code, family, parent, values, dates and its variants' UUIDs."""
    emulator = emulator_of(request)
    store = emulator.store
    with store.lock:
        model = store.models.get(request.path_params["code"])
        if model is None:
            raise ApiError(404, f"Product model {request.path_params['code']} does not exist.")
        variants = ModelStore(store).under(model.code)
        return json_response(
            {
                "code": model.code,
                "family": model.family,
                "parent": model.parent,
                "values": model.values,
                "categories": model.categories,
                "created": model.created,
                "updated": model.updated,
                "variants": variants,
            }
        )


async def expected(request: Request) -> Response:
    """The ground truth of a catalog in variants mode: its mapped models, each with its mapped variants."""
    emulator = emulator_of(request)
    catalog = emulator.store.catalog(request.path_params["id"])
    if catalog is None:
        raise ApiError(404, f'Catalog "{request.path_params["id"]}" does not exist.')
    return json_response({"models": expected_models(emulator, catalog, base_url(request))})


def routes() -> list[Route]:
    """The model admin routes."""
    r = "/_emulator"
    return [
        Route(f"{r}/models", create_model, methods=["POST"]),
        Route(r + "/models/{code}", get_model, methods=["GET"]),
        Route(r + "/models/{code}", update_model, methods=["PATCH"]),
        Route(r + "/models/{code}", delete_model, methods=["DELETE"]),
        Route(r + "/models/{code}/variants", add_variant, methods=["POST"]),
        Route(r + "/catalogs/{id}/expected-models", expected, methods=["GET"]),
    ]
