"""The `/_emulator/` admin API (no auth, not Akeneo): the contract in HELPERS.md."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from akeneo_sync.emulator.auth import App, Connection
from akeneo_sync.emulator.events import Subscriber
from akeneo_sync.emulator.faults import FairUse, RandomFaults, ScriptedFaults
from akeneo_sync.emulator.products_api import expected
from akeneo_sync.emulator.protocol import ApiError, json_response, parse_atom
from akeneo_sync.emulator.runtime import Emulator, emulator_of
from akeneo_sync.emulator.store import Catalog, Selection, StoreError

__all__ = ["routes"]

Model = TypeVar("Model", bound=BaseModel)
_DEFAULT_AUTHOR = {"identifier": "emulator-admin", "type": "user"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppIn(_Strict):
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    scopes: list[str] | None = None
    callback_url: str | None = None


class TokenIn(_Strict):
    client_id: str = Field(min_length=1)
    scopes: list[str] | None = None


class RevokeIn(_Strict):
    access_token: str


class ConnectionIn(_Strict):
    client_id: str = Field(min_length=1)
    secret: str = Field(min_length=1)
    username: str
    password: str
    expires_in: float | None = Field(default=None, gt=0)


class SelectionIn(_Strict):
    enabled_only: bool = True
    families: list[str] | None = None
    categories: list[str] | None = None
    updated_after: str | None = None


class ProductIn(_Strict):
    uuid: str | None = None
    values: dict[str, Any] = Field(default_factory=dict)
    enabled: bool | None = None
    family: str | None = None
    categories: list[str] | None = None
    author: dict[str, str] | None = None


async def _body(request: Request, model: type[Model]) -> Model:
    try:
        return model.model_validate_json(await request.body() or b"{}")
    except ValidationError as exc:
        raise ApiError(422, "Invalid admin request.", extra={"errors": json.loads(exc.json())}) from exc


def _admin_catalog(emulator: Emulator, request: Request) -> Catalog:
    catalog = emulator.store.catalog(request.path_params["id"])
    if catalog is None:
        raise ApiError(404, f'Catalog "{request.path_params["id"]}" does not exist.')
    return catalog


async def reset(request: Request) -> Response:
    emulator_of(request).reset()
    return json_response({"reset": True})


async def add_app(request: Request) -> Response:
    body = await _body(request, AppIn)
    scopes = tuple(body.scopes) if body.scopes is not None else None
    emulator_of(request).auth.register_app(App(body.client_id, body.client_secret, scopes, body.callback_url))
    return json_response({"client_id": body.client_id}, 201)


async def mint_token(request: Request) -> Response:
    body = await _body(request, TokenIn)
    token = emulator_of(request).auth.mint_app_token(body.client_id, body.scopes)
    return json_response({"access_token": token.value, "scope": " ".join(token.scopes)}, 201)


async def revoke_token(request: Request) -> Response:
    body = await _body(request, RevokeIn)
    if not emulator_of(request).auth.revoke(body.access_token):
        raise ApiError(404, "Unknown access token.")
    return Response(status_code=204)


async def add_connection(request: Request) -> Response:
    body = await _body(request, ConnectionIn)
    emulator = emulator_of(request)
    ttl = body.expires_in or emulator.config.connection_token_ttl_s
    emulator.auth.register_connection(Connection(body.client_id, body.secret, body.username, body.password, ttl))
    return json_response({"client_id": body.client_id}, 201)


async def set_enabled(request: Request) -> Response:
    emulator = emulator_of(request)
    catalog = _admin_catalog(emulator, request)
    with emulator.store.lock:
        catalog.enabled = request.url.path.endswith("/enable")
    return json_response(catalog.as_json())


async def set_selection(request: Request) -> Response:
    body = await _body(request, SelectionIn)
    emulator = emulator_of(request)
    catalog = _admin_catalog(emulator, request)
    after = parse_atom(body.updated_after) if body.updated_after is not None else None
    with emulator.store.lock:
        catalog.selection = Selection(
            enabled_only=body.enabled_only,
            families=tuple(body.families) if body.families is not None else None,
            categories=tuple(body.categories) if body.categories is not None else None,
            updated_after=after,
        )
    return json_response({"id": catalog.id, "selection": body.model_dump()})


async def set_product_mapping(request: Request) -> Response:
    raw = await request.body()
    try:
        mapping = json.loads(raw or b"{}")
    except json.JSONDecodeError as exc:
        raise ApiError(400, "Invalid json message received") from exc
    if not isinstance(mapping, dict) or not all(isinstance(v, str | None) for v in mapping.values()):
        raise ApiError(422, "The product mapping must be an object of target -> attribute code (or null).")
    emulator = emulator_of(request)
    catalog = _admin_catalog(emulator, request)
    with emulator.store.lock:
        catalog.product_mapping = dict(mapping)
    return json_response({"id": catalog.id, "product_mapping": catalog.product_mapping})


async def expected_content(request: Request) -> Response:
    emulator = emulator_of(request)
    catalog = _admin_catalog(emulator, request)
    with emulator.store.lock:
        return json_response(expected(catalog, list(emulator.store.selected(catalog))))


async def create_product(request: Request) -> Response:
    emulator = emulator_of(request)
    try:
        payload = json.loads(await request.body() or b"{}")
    except json.JSONDecodeError as exc:
        raise ApiError(400, "Invalid json message received") from exc
    # The body is either {"values": {...}, "family"...} or directly the values map.
    known = set(ProductIn.model_fields)
    if isinstance(payload, dict) and "values" not in payload:
        payload = {**{k: v for k, v in payload.items() if k in known},
                   "values": {k: v for k, v in payload.items() if k not in known}}
    try:
        body = ProductIn.model_validate(payload)
    except ValidationError as exc:
        raise ApiError(422, "Invalid admin request.", extra={"errors": json.loads(exc.json())}) from exc
    try:
        created = emulator.store.create_product(body.values, family=body.family, categories=body.categories,
                                                enabled=body.enabled, uuid=body.uuid)
    except StoreError as exc:
        raise ApiError(exc.status, exc.message) from exc
    emulator.events.product_changed("created", created.uuid, body.author or _DEFAULT_AUTHOR)
    return json_response({"uuid": created.uuid}, 201)


async def update_product(request: Request) -> Response:
    body = await _body(request, ProductIn)
    emulator = emulator_of(request)
    try:
        updated = emulator.store.update_product(request.path_params["uuid"], body.values, family=body.family,
                                                categories=body.categories, enabled=body.enabled)
    except StoreError as exc:
        raise ApiError(exc.status, exc.message) from exc
    emulator.events.product_changed("updated", updated.uuid, body.author or _DEFAULT_AUTHOR)
    return json_response({"uuid": updated.uuid, "updated": updated.updated})


async def delete_product(request: Request) -> Response:
    emulator = emulator_of(request)
    uuid = request.path_params["uuid"].lower()
    try:
        emulator.store.delete_product(uuid)
    except StoreError as exc:
        raise ApiError(exc.status, exc.message) from exc
    emulator.events.product_changed("deleted", uuid, _DEFAULT_AUTHOR)
    return Response(status_code=204)


async def put_faults(request: Request) -> Response:
    body = await _body(request, RandomFaults)
    emulator_of(request).faults.set_random(body)
    return json_response(emulator_of(request).faults.describe())


async def script_faults(request: Request) -> Response:
    body = await _body(request, ScriptedFaults)
    emulator_of(request).faults.add_script(body)
    return json_response(emulator_of(request).faults.describe())


async def get_faults(request: Request) -> Response:
    return json_response(emulator_of(request).faults.describe())


async def put_fair_use(request: Request) -> Response:
    body = await _body(request, FairUse)
    emulator_of(request).faults.set_fair_use(body)
    return json_response(body.model_dump())


async def get_stats(request: Request) -> Response:
    return json_response(emulator_of(request).stats.snapshot())


async def reset_stats(request: Request) -> Response:
    emulator_of(request).stats.reset()
    return json_response(emulator_of(request).stats.snapshot())


async def put_subscriber(request: Request) -> Response:
    body = await _body(request, Subscriber)
    emulator_of(request).events.configure(body)
    return json_response(body.model_dump(exclude={"secrets"}))


async def delete_subscriber(request: Request) -> Response:
    emulator_of(request).events.configure(None)
    return Response(status_code=204)


async def list_events(request: Request) -> Response:
    """Deliveries so far; `?wait_s=N` first waits (off the event loop) until none is pending."""
    events = emulator_of(request).events
    wait_s = float(request.query_params.get("wait_s", "0") or 0)
    idle = await run_in_threadpool(events.wait_idle, min(wait_s, 60.0)) if wait_s > 0 else True
    return json_response({"deliveries": events.deliveries(), "idle": idle})


def routes() -> list[Route]:
    """Every admin route."""
    r = "/_emulator"
    return [
        Route(f"{r}/reset", reset, methods=["POST"]),
        Route(f"{r}/apps", add_app, methods=["POST"]),
        Route(f"{r}/tokens", mint_token, methods=["POST"]),
        Route(f"{r}/tokens/revoke", revoke_token, methods=["POST"]),
        Route(f"{r}/connections", add_connection, methods=["POST"]),
        Route(r + "/catalogs/{id}/enable", set_enabled, methods=["POST"]),
        Route(r + "/catalogs/{id}/disable", set_enabled, methods=["POST"]),
        Route(r + "/catalogs/{id}/selection", set_selection, methods=["PUT"]),
        Route(r + "/catalogs/{id}/product-mapping", set_product_mapping, methods=["PUT"]),
        Route(r + "/catalogs/{id}/expected", expected_content, methods=["GET"]),
        Route(f"{r}/products", create_product, methods=["POST"]),
        Route(r + "/products/{uuid}", update_product, methods=["PATCH"]),
        Route(r + "/products/{uuid}", delete_product, methods=["DELETE"]),
        Route(f"{r}/faults", put_faults, methods=["PUT"]),
        Route(f"{r}/faults", get_faults, methods=["GET"]),
        Route(f"{r}/faults/script", script_faults, methods=["POST"]),
        Route(f"{r}/fair-use", put_fair_use, methods=["PUT"]),
        Route(f"{r}/stats", get_stats, methods=["GET"]),
        Route(f"{r}/stats/reset", reset_stats, methods=["POST"]),
        Route(f"{r}/event-subscriber", put_subscriber, methods=["PUT"]),
        Route(f"{r}/event-subscriber", delete_subscriber, methods=["DELETE"]),
        Route(f"{r}/events", list_events, methods=["GET"]),
    ]
