"""Request rate, latency and status of the web side, per route template (an ASGI middleware).

The route is the matched route's template (`scope["route"].path`, set by the router while the
request is handled), so `/v1/tenants/{tenant}/catalogs/{catalog}/sync` is one series whatever
the ids; a request no route matches counts as `unmatched`. A pure ASGI middleware rather than
Starlette's `BaseHTTPMiddleware`: it adds no task per request and never buffers a body.
"""

from __future__ import annotations

import time
from typing import Final

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from akeneo_sync.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS

__all__ = ["RequestMetrics", "install_request_metrics"]

UNMATCHED: Final = "unmatched"


class RequestMetrics:
    """Counts and times every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before the response started is what the client sees as a 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, send_and_record)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = str(scope.get("method", "GET"))
            HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            HTTP_REQUEST_DURATION.labels(method=method, route=route).observe(time.perf_counter() - started)


def install_request_metrics(app: FastAPI) -> None:
    """Wrap `app` (outermost, so the time includes every other middleware and handler)."""
    app.add_middleware(RequestMetrics)
