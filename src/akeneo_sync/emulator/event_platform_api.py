"""HTTP routes of the emulated Event Platform management API (see `event_platform`)."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from akeneo_sync.emulator.auth import AuthError
from akeneo_sync.emulator.event_platform_bodies import (
    EventPlatformError,
    SubscriberIn,
    SubscriberPatch,
    SubscriptionIn,
    parse,
)
from akeneo_sync.emulator.protocol import json_response
from akeneo_sync.emulator.runtime import emulator_of

__all__ = ["PREFIX", "routes"]

PREFIX: Final = "/event-platform/api/v1"


def _caller(request: Request) -> tuple[str, str]:
    """(client id, PIM URL) of a management call, checked against this PIM's tokens."""
    pim_url = request.headers.get("x-pim-url", "")
    token_value = request.headers.get("x-pim-token", "")
    client_id = request.headers.get("x-pim-client-id", "")
    if not (pim_url and token_value and client_id):
        raise EventPlatformError(401, "The X-PIM-URL, X-PIM-TOKEN and X-PIM-CLIENT-ID headers are required.")
    try:
        token = emulator_of(request).auth.authenticate(token_value)
    except AuthError as exc:
        raise EventPlatformError(401, f"The PIM refused the token: {exc.description}") from exc
    if token.client_id != client_id:
        raise EventPlatformError(403, "X-PIM-CLIENT-ID does not match the token's client.")
    return client_id, pim_url.rstrip("/")


def render_error(_request: Request, exc: Exception) -> Response:
    """Render an `EventPlatformError` (registered as an exception handler)."""
    if not isinstance(exc, EventPlatformError):
        raise exc
    return json_response({"code": exc.status, "message": exc.message}, exc.status)


async def create_subscriber(request: Request) -> Response:
    """POST /subscribers: 201, one per PIM and client."""
    client_id, pim_url = _caller(request)
    spec: SubscriberIn = parse(SubscriberIn, await request.body())
    return json_response(emulator_of(request).event_platform.create_subscriber(client_id, pim_url, spec), 201)


async def list_subscribers(request: Request) -> Response:
    """GET /subscribers: the caller's subscribers."""
    client_id, _ = _caller(request)
    return json_response(emulator_of(request).event_platform.list_subscribers(client_id))


async def get_subscriber(request: Request) -> Response:
    """GET /subscribers/{id}."""
    client_id, _ = _caller(request)
    return json_response(emulator_of(request).event_platform.get_subscriber(request.path_params["sub"], client_id))


async def update_subscriber(request: Request) -> Response:
    """PATCH /subscribers/{id}: change its contact (notification channels, webhook URL and secret)."""
    client_id, _ = _caller(request)
    patch: SubscriberPatch = parse(SubscriberPatch, await request.body())
    registry = emulator_of(request).event_platform
    return json_response(registry.update_subscriber(request.path_params["sub"], client_id, patch))


async def delete_subscriber(request: Request) -> Response:
    """DELETE /subscribers/{id}: 204, its subscriptions go too."""
    client_id, _ = _caller(request)
    emulator_of(request).event_platform.delete_subscriber(request.path_params["sub"], client_id)
    return Response(status_code=204)


async def create_subscription(request: Request) -> Response:
    """POST /subscribers/{id}/subscriptions: 201, active at once."""
    client_id, _ = _caller(request)
    spec: SubscriptionIn = parse(SubscriptionIn, await request.body())
    registry = emulator_of(request).event_platform
    return json_response(registry.create_subscription(request.path_params["sub"], client_id, spec), 201)


async def list_subscriptions(request: Request) -> Response:
    """GET /subscribers/{id}/subscriptions."""
    client_id, _ = _caller(request)
    registry = emulator_of(request).event_platform
    return json_response(registry.list_subscriptions(request.path_params["sub"], client_id))


async def get_subscription(request: Request) -> Response:
    """GET /subscribers/{id}/subscriptions/{id}."""
    client_id, _ = _caller(request)
    registry = emulator_of(request).event_platform
    return json_response(registry.get_subscription(request.path_params["sub"], request.path_params["id"], client_id))


async def delete_subscription(request: Request) -> Response:
    """DELETE a subscription: 204."""
    client_id, _ = _caller(request)
    registry = emulator_of(request).event_platform
    registry.user_action(request.path_params["sub"], request.path_params["id"], client_id, "delete")
    return Response(status_code=204)


async def change_status(request: Request) -> Response:
    """POST .../suspend or .../resume (the logs page shows the suspend route)."""
    client_id, _ = _caller(request)
    action = request.url.path.rsplit("/", 1)[1]
    registry = emulator_of(request).event_platform
    return json_response(registry.user_action(request.path_params["sub"], request.path_params["id"], client_id, action))


def routes() -> list[Route]:
    """The management routes."""
    subscribers = f"{PREFIX}/subscribers"
    one = subscribers + "/{sub}/subscriptions/{id}"
    return [
        Route(subscribers, create_subscriber, methods=["POST"]),
        Route(subscribers, list_subscribers, methods=["GET"]),
        Route(subscribers + "/{sub}", get_subscriber, methods=["GET"]),
        Route(subscribers + "/{sub}", delete_subscriber, methods=["DELETE"]),
        Route(subscribers + "/{sub}", update_subscriber, methods=["PATCH"]),
        Route(subscribers + "/{sub}/subscriptions", create_subscription, methods=["POST"]),
        Route(subscribers + "/{sub}/subscriptions", list_subscriptions, methods=["GET"]),
        Route(one, get_subscription, methods=["GET"]),
        Route(one, delete_subscription, methods=["DELETE"]),
        Route(one + "/suspend", change_status, methods=["POST"]),
        Route(one + "/resume", change_status, methods=["POST"]),
    ]
