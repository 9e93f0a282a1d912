"""Catalogs for Apps: the catalog resource and its product mapping schema (docs/akeneo.md)."""

from __future__ import annotations

import copy
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from akeneo_sync.emulator.auth import Token
from akeneo_sync.emulator.mapping import SchemaInvalidError, validate_schema
from akeneo_sync.emulator.protocol import (
    API_PREFIX,
    ApiError,
    authenticate,
    href,
    json_response,
    read_json,
    require_scopes,
)
from akeneo_sync.emulator.runtime import emulator_of
from akeneo_sync.emulator.store import Catalog

__all__ = ["catalog_or_404", "routes"]

_READ: Final = (("read_catalogs",), "list catalogs")
_ACCESS: Final = (("read_catalogs",), "access app catalogs")
_WRITE: Final = (("write_catalogs",), "edit app catalogs")
_DELETE: Final = (("delete_catalogs",), "delete app catalogs")
_MAX_NAME: Final = 255


def _caller(request: Request, scopes: tuple[tuple[str, ...], str]) -> Token:
    token = authenticate(request)
    require_scopes(token, *scopes)
    return token


def catalog_or_404(request: Request, token: Token) -> Catalog:
    """The caller's catalog from the path; another app's catalog gets the very same 404."""
    catalog_id = request.path_params["id"]
    catalog = emulator_of(request).store.catalog(catalog_id, owner=token.client_id)
    if catalog is None:
        raise ApiError(404, f'Catalog "{catalog_id}" does not exist or you can\'t access it.')
    return catalog


def _catalog_body(request: Request, catalog: Catalog) -> dict[str, Any]:
    return {"_links": {"self": href(request, f"{API_PREFIX}/catalogs/{catalog.id}")}, **catalog.as_json()}


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        # One Akeneo version answers 400 here; the docs list no error code (see docs/akeneo.md).
        raise ApiError(400, f'The "{name}" parameter must be an integer between {low} and {high}.')
    return value


async def list_catalogs(request: Request) -> Response:
    """GET /catalogs: offset pagination, limit 1..100 (default 100)."""
    token = _caller(request, _READ)
    page = _int_param(request, "page", 1, 1, 1_000_000)
    limit = _int_param(request, "limit", 100, 1, 100)
    owned = emulator_of(request).store.catalogs_of(token.client_id)
    items = owned[(page - 1) * limit : page * limit]
    path = f"{API_PREFIX}/catalogs"
    links = {
        "self": href(request, path, {"page": str(page), "limit": str(limit)}),
        "first": href(request, path, {"page": "1", "limit": str(limit)}),
    }
    if page > 1:
        links["previous"] = href(request, path, {"page": str(page - 1), "limit": str(limit)})
    if page * limit < len(owned):
        links["next"] = href(request, path, {"page": str(page + 1), "limit": str(limit)})
    return json_response(
        {
            "_links": links,
            "current_page": page,
            "_embedded": {"items": [_catalog_body(request, c) for c in items]},
        }
    )


def _validated_fields(body: Any, *, name_required: bool) -> dict[str, Any]:
    """Check a create/patch body; 422 with the documented violation list otherwise."""
    if not isinstance(body, dict):
        raise ApiError(
            422,
            "Validation failed.",
            extra={"errors": [{"property": "", "message": "This value should be of type array."}]},
        )
    errors: list[dict[str, str]] = []
    name = body.get("name")
    if name is None or (isinstance(name, str) and not name.strip()):
        if name_required or "name" in body:
            errors.append({"property": "name", "message": "This value should not be blank."})
    elif not isinstance(name, str):
        errors.append({"property": "name", "message": "This value should be of type string."})
    elif len(name) > _MAX_NAME:
        errors.append(
            {"property": "name", "message": f"This value is too long. It should have {_MAX_NAME} characters or less."}
        )
    if "skip_required_checks" in body and not isinstance(body["skip_required_checks"], bool):
        errors.append({"property": "skip_required_checks", "message": "This value should be of type bool."})
    for key in ("managed_currencies", "managed_locales"):
        value = body.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            errors.append({"property": key, "message": "This value should be a list of codes."})
    if errors:
        raise ApiError(422, "Validation failed.", extra={"errors": errors})
    return body


def _new_catalog(request: Request, owner: str, name: str, currencies: list[str], locales: list[str]) -> Catalog:
    """Create a disabled catalog, refusing the 201st of an app with a 422 (IMPL-ONLY validator)."""
    emulator = emulator_of(request)
    limit = emulator.config.max_catalogs_per_app
    with emulator.store.lock:
        if len(emulator.store.catalogs_of(owner)) >= limit:
            raise ApiError(
                422,
                "Validation failed.",
                extra={"errors": [{"property": "", "message": f"You can create up to {limit} catalogs per app"}]},
            )
        return emulator.store.create_catalog(owner, name, currencies, locales)


def _created(request: Request, catalog: Catalog) -> Response:
    location = href(request, f"{API_PREFIX}/catalogs/{catalog.id}")["href"]
    return json_response(_catalog_body(request, catalog), 201, {"Location": location})


async def create_catalog(request: Request) -> Response:
    """POST /catalogs: 201, the new catalog is disabled; at most 200 per app."""
    token = _caller(request, _WRITE)
    body = _validated_fields(await read_json(request), name_required=True)
    catalog = _new_catalog(
        request,
        token.client_id,
        body["name"],
        list(body.get("managed_currencies", [])),
        list(body.get("managed_locales", [])),
    )
    return _created(request, catalog)


async def duplicate_catalog(request: Request) -> Response:
    """POST /catalogs/{id}/duplicate: a disabled copy with the same selection, schema and mapping.

    The body is optional; the copy's default name is not documented, we use "<name> (copy)".
    """
    token = _caller(request, _WRITE)
    source = catalog_or_404(request, token)
    raw = await request.body()
    body = _validated_fields(await read_json(request), name_required=False) if raw.strip() else {}
    catalog = _new_catalog(
        request,
        token.client_id,
        body.get("name") or f"{source.name} (copy)",
        list(body.get("managed_currencies", source.managed_currencies)),
        list(body.get("managed_locales", source.managed_locales)),
    )
    with emulator_of(request).store.lock:
        catalog.mapping_schema = copy.deepcopy(source.mapping_schema)
        catalog.product_mapping = dict(source.product_mapping)
        catalog.selection = source.selection
    return _created(request, catalog)


async def get_catalog(request: Request) -> Response:
    """GET /catalogs/{id}."""
    token = _caller(request, _ACCESS)
    return json_response(_catalog_body(request, catalog_or_404(request, token)))


async def patch_catalog(request: Request) -> Response:
    """PATCH /catalogs/{id}: `name` is required even for currency/locale changes (Swagger)."""
    token = _caller(request, _WRITE)
    catalog = catalog_or_404(request, token)
    body = _validated_fields(await read_json(request), name_required=True)
    with emulator_of(request).store.lock:
        catalog.name = body["name"]
        if "managed_currencies" in body:
            catalog.managed_currencies = list(body["managed_currencies"])
        if "managed_locales" in body:
            catalog.managed_locales = list(body["managed_locales"])
    return json_response(_catalog_body(request, catalog))


async def delete_catalog(request: Request) -> Response:
    """DELETE /catalogs/{id}: 204."""
    token = _caller(request, _DELETE)
    catalog = catalog_or_404(request, token)
    emulator_of(request).store.delete_catalog(catalog.id)
    return Response(status_code=204)


async def put_mapping_schema(request: Request) -> Response:
    """PUT the product mapping schema; answers 204 (the docs say 201, Akeneo's tests 204; see config)."""
    token = _caller(request, _WRITE)
    catalog = catalog_or_404(request, token)
    schema = await read_json(request)
    emulator = emulator_of(request)
    try:
        validate_schema(schema, emulator.config.max_mapping_targets)
    except SchemaInvalidError as exc:
        raise ApiError(
            422,
            "Validation failed.",
            extra={"errors": [{"property": "product_mapping_schema", "message": exc.message}]},
        ) from exc
    with emulator.store.lock:
        catalog.mapping_schema = schema
    status = emulator.config.put_schema_status
    if status == 200:
        return json_response(schema)
    location = href(request, f"{API_PREFIX}/catalogs/{catalog.id}/mapping-schemas/product")["href"]
    return Response(status_code=status, headers={"Location": location} if status == 201 else None)


async def get_mapping_schema(request: Request) -> Response:
    """GET the product mapping schema; 404 when none was pushed."""
    token = _caller(request, _ACCESS)
    catalog = catalog_or_404(request, token)
    if catalog.mapping_schema is None:
        raise ApiError(404, f'Product mapping schema of catalog "{catalog.id}" does not exist.')
    return json_response(catalog.mapping_schema)


async def delete_mapping_schema(request: Request) -> Response:
    """DELETE the product mapping schema: 204."""
    token = _caller(request, _WRITE)
    catalog = catalog_or_404(request, token)
    with emulator_of(request).store.lock:
        catalog.mapping_schema = None
    return Response(status_code=204)


def routes() -> list[Route]:
    """The catalog and mapping-schema routes."""
    base = f"{API_PREFIX}/catalogs"
    return [
        Route(base, list_catalogs, methods=["GET"], name="get_app_catalogs"),
        Route(base, create_catalog, methods=["POST"], name="post_app_catalog"),
        Route(base + "/{id}", get_catalog, methods=["GET"], name="get_app_catalog"),
        Route(base + "/{id}", patch_catalog, methods=["PATCH"], name="patch_app_catalog"),
        Route(base + "/{id}", delete_catalog, methods=["DELETE"], name="delete_app_catalog"),
        Route(base + "/{id}/duplicate", duplicate_catalog, methods=["POST"], name="duplicate_app_catalog"),
        Route(
            base + "/{id}/mapping-schemas/product",
            put_mapping_schema,
            methods=["PUT"],
            name="put_app_catalogs_mapping_schema_product",
        ),
        Route(
            base + "/{id}/mapping-schemas/product",
            get_mapping_schema,
            methods=["GET"],
            name="get_app_catalogs_mapping_schema_product",
        ),
        Route(
            base + "/{id}/mapping-schemas/product",
            delete_mapping_schema,
            methods=["DELETE"],
            name="delete_app_catalogs_mapping_schema_product",
        ),
    ]
