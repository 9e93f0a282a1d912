"""`create_app(config)`: the emulator as one ASGI application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from akeneo_sync.emulator import (
    admin,
    catalogs_api,
    event_platform_api,
    models_admin,
    models_api,
    oauth_api,
    products_api,
)
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.event_platform_bodies import EventPlatformError
from akeneo_sync.emulator.faults import RAW_SEND_KEY, FaultMiddleware
from akeneo_sync.emulator.protocol import API_PREFIX, ApiError, api_error_response, base_url, json_response
from akeneo_sync.emulator.runtime import Emulator

__all__ = ["EmulatorApp", "create_app"]


async def _overview(request: Request) -> Response:
    """GET /api/rest/v1 (no auth): the route list, as the PIM publishes it (docs: rest-api/overview.md)."""
    routes = {
        route.name: {"route": route.path, "methods": sorted((route.methods or set()) - {"HEAD"})}
        for route in request.app.routes
        if isinstance(route, Route) and route.path.startswith(API_PREFIX + "/")
    }
    return json_response(
        {
            "host": base_url(request),
            "authentication": {"fos_oauth_server_token": {"route": "/api/oauth/v1/token", "methods": ["POST"]}},
            "routes": routes,
        }
    )


async def _not_found(_request: Request, _exc: Exception) -> Response:
    return json_response({"code": 404, "message": "Resource not found."}, 404)


async def _not_allowed(_request: Request, _exc: Exception) -> Response:
    return json_response({"code": 405, "message": "Method not allowed."}, 405)


def _lifespan(live: Emulator) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        # The delivery thread must not outlive the server that feeds it.
        live.events.stop()

    return lifespan


class EmulatorApp(Starlette):
    """Starlette, plus the server's own `send` kept in the scope.

    Starlette wraps `send` before any middleware runs; dropping a connection needs the server's
    original callable (see `faults._drop_connection`).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[RAW_SEND_KEY] = send
        await super().__call__(scope, receive, send)


def create_app(config: EmulatorConfig | None = None, emulator: Emulator | None = None) -> EmulatorApp:
    """An emulator app; pass `emulator` to share (and inspect) its state from a test."""
    live = emulator or Emulator.build(config or EmulatorConfig())
    app = EmulatorApp(
        routes=[
            Route(API_PREFIX, _overview, methods=["GET"]),
            *oauth_api.routes(),
            *catalogs_api.routes(),
            *products_api.routes(),
            *models_api.routes(),
            *event_platform_api.routes(),
            *admin.routes(),
            *models_admin.routes(),
        ],
        middleware=[Middleware(FaultMiddleware, faults=lambda: live.faults, stats=lambda: live.stats)],
        exception_handlers={
            ApiError: api_error_response,
            EventPlatformError: event_platform_api.render_error,
            404: _not_found,
            405: _not_allowed,
        },
        lifespan=_lifespan(live),
    )
    app.state.emulator = live
    return app
