"""The `/_emulator/` admin API (no auth, not Akeneo), described in README.md and docs/akeneo.md."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from akeneo_sync.emulator.admin_bodies import (
    DEFAULT_AUTHOR,
    AppIn,
    ConnectionIn,
    CountsIn,
    ProductIn,
    RevokeIn,
    SelectionIn,
    TokenIn,
    parse_body,
)
from akeneo_sync.emulator.auth import App, Connection
from akeneo_sync.emulator.catalog_data import ATTRIBUTES
from akeneo_sync.emulator.events import Subscriber
from akeneo_sync.emulator.faults import FairUse, RandomFaults, ScriptedFaults
from akeneo_sync.emulator.mapping import suggested_mapping
from akeneo_sync.emulator.products_api import expected
from akeneo_sync.emulator.protocol import ApiError, json_response, parse_atom
from akeneo_sync.emulator.runtime import Emulator, emulator_of
from akeneo_sync.emulator.store import Catalog, Selection, StoreError

__all__ = ["routes"]


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Accept Akeneo's standard `[{"locale", "scope", "data"}]` lists as well as bare data."""
    plain: dict[str, Any] = {}
    for code, value in values.items():
        is_standard = isinstance(value, list) and value and all(isinstance(v, dict) and "data" in v for v in value)
        plain[code] = value[0]["data"] if is_standard else value
    return plain


def _admin_catalog(emulator: Emulator, request: Request) -> Catalog:
    catalog = emulator.store.catalog(request.path_params["id"])
    if catalog is None:
        raise ApiError(404, f'Catalog "{request.path_params["id"]}" does not exist.')
    return catalog


async def reset(request: Request) -> Response:
    """Back to the seeded state."""
    emulator_of(request).reset()
    return json_response({"reset": True})


async def add_app(request: Request) -> Response:
    """Register an app (client id, secret, optional scopes and callback URL)."""
    body = parse_body(AppIn, await request.body())
    scopes = tuple(body.scopes) if body.scopes is not None else None
    emulator_of(request).auth.register_app(App(body.client_id, body.client_secret, scopes, body.callback_url))
    return json_response({"client_id": body.client_id}, 201)


async def mint_token(request: Request) -> Response:
    """Mint an app token directly, as a custom app's user copies it from the PIM."""
    body = parse_body(TokenIn, await request.body())
    token = emulator_of(request).auth.mint_app_token(body.client_id, body.scopes)
    return json_response({"access_token": token.value, "scope": " ".join(token.scopes)}, 201)


async def revoke_token(request: Request) -> Response:
    """Revoke a token; every later call with it gets 401."""
    body = parse_body(RevokeIn, await request.body())
    emulator = emulator_of(request)
    token = emulator.auth.revoke(body.access_token)
    if token is None:
        raise ApiError(404, "Unknown access token.")
    if token.expires_at is None:
        # An app token is revoked when the user removes the app, which revokes its event
        # subscriptions too (docs: content/event-platform/faq.md).
        emulator.event_platform.revoke_client(token.client_id)
    return Response(status_code=204)


async def add_connection(request: Request) -> Response:
    """Register a connection for the password/refresh grants."""
    body = parse_body(ConnectionIn, await request.body())
    emulator = emulator_of(request)
    ttl = body.expires_in or emulator.config.connection_token_ttl_s
    emulator.auth.register_connection(Connection(body.client_id, body.secret, body.username, body.password, ttl))
    return json_response({"client_id": body.client_id}, 201)


async def set_enabled(request: Request) -> Response:
    """Enable or disable a catalog, as a PIM user would."""
    emulator = emulator_of(request)
    catalog = _admin_catalog(emulator, request)
    with emulator.store.lock:
        catalog.enabled = request.url.path.endswith("/enable")
    return json_response(catalog.as_json())


async def invalidate(request: Request) -> Response:
    """Break a catalog's selection: the next product read disables it (Akeneo's read-time check)."""
    emulator = emulator_of(request)
    catalog = _admin_catalog(emulator, request)
    with emulator.store.lock:
        catalog.invalid = True
    return json_response(catalog.as_json())


async def set_selection(request: Request) -> Response:
    """Replace a catalog's product selection."""
    body = parse_body(SelectionIn, await request.body())
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
    """Map targets to attribute codes as a PIM user does (replaces the mapping; absent or null: unmapped)."""
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


async def map_by_name(request: Request) -> Response:
    """Map every target of the catalog's schema to the attribute of the same (or usual) name, as a
    PIM user would in the mapping screen; targets nothing fits stay unmapped. 409 without a schema."""
    emulator = emulator_of(request)
    catalog = _admin_catalog(emulator, request)
    with emulator.store.lock:
        if catalog.mapping_schema is None:
            raise ApiError(409, "The catalog has no product mapping schema to map yet.")
        catalog.product_mapping = suggested_mapping(catalog.mapping_schema, frozenset(ATTRIBUTES))
    return json_response({"id": catalog.id, "product_mapping": catalog.product_mapping})


async def put_counts(request: Request) -> Response:
    """Serve `items_count` on `product-uuids?with_count=true` (a real PIM never does) or stop."""
    body = parse_body(CountsIn, await request.body())
    emulator = emulator_of(request)
    with emulator.store.lock:
        emulator.store.serve_counts = body.serve
    return json_response({"serve": body.serve})


async def expected_content(request: Request) -> Response:
    """The ground truth of a catalog: selected UUIDs and their mapped products.

    `?mapped=false` skips the mapped products: computing a million of them takes many seconds.
    """
    emulator = emulator_of(request)
    catalog = _admin_catalog(emulator, request)
    if request.query_params.get("mapped", "true").lower() in ("false", "0"):
        return json_response({"uuids": emulator.store.selected_uuids(catalog), "mapped_products": {}})
    with emulator.store.lock:
        return json_response(expected(catalog, list(emulator.store.selected(catalog))))


async def create_product(request: Request) -> Response:
    """Create a product (body: `{"values": ...}` or the values map itself)."""
    emulator = emulator_of(request)
    try:
        payload = json.loads(await request.body() or b"{}")
    except json.JSONDecodeError as exc:
        raise ApiError(400, "Invalid json message received") from exc
    # The body is either {"values": {...}, "family"...} or directly the values map.
    known = set(ProductIn.model_fields)
    if isinstance(payload, dict) and "values" not in payload:
        payload = {
            **{k: v for k, v in payload.items() if k in known},
            "values": {k: v for k, v in payload.items() if k not in known},
        }
    try:
        body = ProductIn.model_validate(payload)
    except ValidationError as exc:
        raise ApiError(422, "Invalid admin request.", extra={"errors": json.loads(exc.json())}) from exc
    try:
        created = emulator.store.create_product(
            _plain(body.values), family=body.family, categories=body.categories, enabled=body.enabled, uuid=body.uuid
        )
    except StoreError as exc:
        raise ApiError(exc.status, exc.message) from exc
    emulator.events.product_changed("created", created.uuid, body.author or DEFAULT_AUTHOR, created.values.get("sku"))
    return json_response({"uuid": created.uuid}, 201)


async def update_product(request: Request) -> Response:
    """Change a product's values/family/categories/status; bumps `updated`."""
    body = parse_body(ProductIn, await request.body())
    emulator = emulator_of(request)
    try:
        updated = emulator.store.update_product(
            request.path_params["uuid"],
            _plain(body.values),
            family=body.family,
            categories=body.categories,
            enabled=body.enabled,
        )
    except StoreError as exc:
        raise ApiError(exc.status, exc.message) from exc
    emulator.events.product_changed("updated", updated.uuid, body.author or DEFAULT_AUTHOR, updated.values.get("sku"))
    return json_response({"uuid": updated.uuid, "updated": updated.updated})


async def delete_product(request: Request) -> Response:
    """Delete a product."""
    emulator = emulator_of(request)
    uuid = request.path_params["uuid"].lower()
    doomed = emulator.store.get_product(uuid)
    try:
        emulator.store.delete_product(uuid)
    except StoreError as exc:
        raise ApiError(exc.status, exc.message) from exc
    emulator.events.product_changed("deleted", uuid, DEFAULT_AUTHOR, doomed.values.get("sku") if doomed else None)
    return Response(status_code=204)


async def put_faults(request: Request) -> Response:
    """Replace the random fault configuration."""
    body = parse_body(RandomFaults, await request.body())
    emulator_of(request).faults.set_random(body)
    return json_response(emulator_of(request).faults.describe())


async def script_faults(request: Request) -> Response:
    """Queue deterministic answers for the next matching API calls."""
    body = parse_body(ScriptedFaults, await request.body())
    emulator_of(request).faults.add_script(body)
    return json_response(emulator_of(request).faults.describe())


async def get_faults(request: Request) -> Response:
    """The current fault configuration."""
    return json_response(emulator_of(request).faults.describe())


async def put_fair_use(request: Request) -> Response:
    """Replace the fair-use limits."""
    body = parse_body(FairUse, await request.body())
    emulator_of(request).faults.set_fair_use(body)
    return json_response(body.model_dump())


async def get_stats(request: Request) -> Response:
    """Traffic statistics."""
    return json_response(emulator_of(request).stats.snapshot())


async def reset_stats(request: Request) -> Response:
    """Zero the traffic statistics."""
    emulator_of(request).stats.reset()
    return json_response(emulator_of(request).stats.snapshot())


async def put_subscriber(request: Request) -> Response:
    """Send every product event to one URL (a shortcut past the management API)."""
    body = parse_body(Subscriber, await request.body())
    emulator_of(request).events.configure(body)
    return json_response(body.model_dump(exclude={"secrets"}))


async def delete_subscriber(request: Request) -> Response:
    """Stop the shortcut subscriber."""
    emulator_of(request).events.configure(None)
    return Response(status_code=204)


async def system_suspend(request: Request) -> Response:
    """Suspend a subscription as the platform would after too many failures."""
    emulator = emulator_of(request)
    try:
        body = emulator.event_platform.set_status(
            request.path_params["id"], "suspended", "Success rate below 90 % over the last hour.", by_system=True
        )
    except KeyError as exc:
        raise ApiError(404, "Unknown subscription.") from exc
    return json_response(body)


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
        Route(r + "/catalogs/{id}/invalidate", invalidate, methods=["POST"]),
        Route(r + "/catalogs/{id}/selection", set_selection, methods=["PUT"]),
        Route(r + "/catalogs/{id}/product-mapping", set_product_mapping, methods=["PUT"]),
        Route(r + "/catalogs/{id}/product-mapping/by-name", map_by_name, methods=["POST"]),
        Route(r + "/catalogs/{id}/expected", expected_content, methods=["GET"]),
        Route(f"{r}/counts", put_counts, methods=["PUT"]),
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
        Route(r + "/event-platform/subscriptions/{id}/suspend", system_suspend, methods=["POST"]),
    ]
