"""A local emulator of Akeneo's Event Platform: the management API, delivering through the PIM emulator.

In reality the Event Platform is a service apart from the PIM. Here it keeps subscribers and
subscriptions in memory and, for an active HTTPS subscription, tells the PIM emulator where to
deliver signed product events (`PUT {pim}/_emulator/event-subscriber`, the emulator admin API).
Suspending stops deliveries and resuming restarts them; subscribers with a notification webhook
get the signed status notifications (docs/akeneo.md, "Event Platform"). `/_emulator/...` routes
are test controls, not Akeneo API.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from akeneo_sync.eventplatform.models import SubscriberIn, SubscriberPatch, SubscriptionIn

__all__ = ["EventPlatformEmulator", "create_app"]

API: Final = "/api/v1"
_MAX_PER_PARENT: Final = 20  # 20 subscribers per PIM, 20 subscriptions per subscriber (Akeneo's limits)


@dataclass(slots=True)
class _Subscription:
    id: str
    subscriber_id: str
    body: SubscriptionIn
    status: str = "active"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "subscriber_id": self.subscriber_id, "status": self.status, "source": self.body.source,
                "subject": self.body.subject, "events": self.body.events, "type": self.body.type,
                "config": {"url": self.body.config.url}}


@dataclass(slots=True)
class _Subscriber:
    id: str
    pim_url: str
    client_id: str
    body: SubscriberIn
    status: str = "active"
    subscriptions: dict[str, _Subscription] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        # The notification secret is write-only, as the platform keeps it.
        return {"id": self.id, "name": self.body.name, "subject": self.pim_url, "status": self.status,
                "contact": self.body.contact.model_dump(exclude={"notification_webhook_secret"}, exclude_none=True)}


class EventPlatformEmulator:
    """The platform's state, guarded by one lock (handlers run concurrently)."""

    def __init__(self, *, retry_delays_s: tuple[float, ...] = (0.05, 0.1, 0.2), timeout_s: float = 5.0) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, _Subscriber] = {}
        self._ids = itertools.count(1)
        self._retry_delays_s = retry_delays_s
        self._timeout_s = timeout_s
        self.notifications: list[dict[str, Any]] = []

    def reset(self) -> None:
        """Forget every subscriber and subscription."""
        with self._lock:
            self._subscribers.clear()
            self.notifications.clear()

    def _next_id(self, kind: str) -> str:
        return f"{kind}-{next(self._ids):06d}"

    def subscribers_of(self, pim_url: str, client_id: str) -> list[_Subscriber]:
        """The subscribers a PIM identity can see."""
        with self._lock:
            return [s for s in self._subscribers.values() if (s.pim_url, s.client_id) == (pim_url, client_id)]

    def add_subscriber(self, pim_url: str, client_id: str, body: SubscriberIn) -> _Subscriber | None:
        """A new subscriber, or None past the per-PIM limit."""
        with self._lock:
            if sum(1 for s in self._subscribers.values() if s.pim_url == pim_url) >= _MAX_PER_PARENT:
                return None
            subscriber = _Subscriber(self._next_id("subscriber"), pim_url, client_id, body)
            self._subscribers[subscriber.id] = subscriber
            return subscriber

    def find(self, pim_url: str, client_id: str, subscriber_id: str) -> _Subscriber | None:
        """A subscriber of this PIM identity."""
        with self._lock:
            found = self._subscribers.get(subscriber_id)
        return found if found is not None and (found.pim_url, found.client_id) == (pim_url, client_id) else None

    def find_subscription(self, subscription_id: str) -> tuple[_Subscriber, _Subscription] | None:
        """A subscription by id, whoever owns it (test controls)."""
        with self._lock:
            for subscriber in self._subscribers.values():
                if subscription_id in subscriber.subscriptions:
                    return subscriber, subscriber.subscriptions[subscription_id]
        return None

    def add_subscription(self, subscriber: _Subscriber, body: SubscriptionIn) -> _Subscription | None:
        """A new subscription, or None past the per-subscriber limit."""
        with self._lock:
            if len(subscriber.subscriptions) >= _MAX_PER_PARENT:
                return None
            subscription = _Subscription(self._next_id("subscription"), subscriber.id, body)
            subscriber.subscriptions[subscription.id] = subscription
            return subscription

    async def apply(self, subscriber: _Subscriber, subscription: _Subscription, status: str, *,
                    notification_type: str | None = None) -> None:
        """Set the status and make the PIM emulator deliver (active) or stop (otherwise)."""
        subscription.status = status
        async with httpx.AsyncClient(base_url=subscriber.pim_url, timeout=self._timeout_s) as pim:
            if status == "active":
                secret = subscription.body.config.secret
                response = await pim.put("/_emulator/event-subscriber", json={
                    "url": subscription.body.config.url, "subscription_id": subscription.id,
                    "secrets": secret.model_dump(exclude_none=True) if secret else {"primary": ""},
                    "retry_delays_s": list(self._retry_delays_s),
                })
            else:
                response = await pim.delete("/_emulator/event-subscriber")
            response.raise_for_status()
        if notification_type is not None:
            await self._notify(subscriber, subscription, notification_type)

    async def _notify(self, subscriber: _Subscriber, subscription: _Subscription, notification_type: str) -> None:
        contact = subscriber.body.contact
        url, secret = contact.notification_webhook_url, contact.notification_webhook_secret
        if not url or not secret or "webhook" not in (contact.notification_channels or ["email"]):
            return
        note = {"notification_type": notification_type, "timestamp": datetime.now(UTC).isoformat(),
                "subscription_id": subscription.id, "subscriber_id": subscriber.id,
                "destination": subscription.body.config.url, "events": subscription.body.events,
                "reason": "emulated", "subject": subscriber.pim_url}
        body = json.dumps(note, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "akeneo/event-platform",
                   "X-AKENEO-SIGNATURE-PRIMARY": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}
        async with httpx.AsyncClient(timeout=self._timeout_s) as client:
            try:
                status: int | str = (await client.post(url, content=body, headers=headers)).status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
        with self._lock:
            self.notifications.append({**note, "delivery_status": status})


async def _patch_subscriber(request: Request) -> Response:
    """PATCH /subscribers/{id}: change the contact (notification channels, webhook URL and secret)."""
    who = _identity(request)
    if isinstance(who, Response):
        return who
    state: EventPlatformEmulator = request.app.state.platform
    subscriber = state.find(who[0], who[1], request.path_params["subscriber_id"])
    if subscriber is None:
        return JSONResponse({"message": "subscriber not found"}, 404)
    try:
        patch = SubscriberPatch.model_validate_json(await request.body())
    except ValidationError as exc:
        return JSONResponse({"message": "invalid body", "errors": exc.errors(include_url=False, include_input=False)},
                            422)
    merged = subscriber.body.contact.model_copy(update=patch.contact.model_dump(exclude_unset=True))
    subscriber.body = subscriber.body.model_copy(update={"contact": merged})
    return JSONResponse(subscriber.as_json())


def _identity(request: Request) -> tuple[str, str] | Response:
    pim_url = request.headers.get("x-pim-url", "").rstrip("/")
    token, client_id = request.headers.get("x-pim-token", ""), request.headers.get("x-pim-client-id", "")
    if not pim_url or not token or not client_id:
        return JSONResponse({"message": "X-PIM-URL, X-PIM-TOKEN and X-PIM-CLIENT-ID are required"}, 401)
    return pim_url, client_id


def create_app(platform: EventPlatformEmulator | None = None) -> Starlette:
    """The emulator's ASGI app; `app.state.platform` is its live state."""
    state = platform or EventPlatformEmulator()

    async def body_of(request: Request, model: type[Any]) -> Any:
        try:
            return model.model_validate_json(await request.body())
        except ValidationError as exc:
            return JSONResponse({"message": "invalid body", "errors": exc.errors(include_url=False,
                                                                                  include_input=False)}, 422)

    async def subscribers(request: Request) -> Response:
        who = _identity(request)
        if isinstance(who, Response):
            return who
        if request.method == "GET":
            return JSONResponse([s.as_json() for s in state.subscribers_of(*who)])
        body = await body_of(request, SubscriberIn)
        if isinstance(body, Response):
            return body
        created = state.add_subscriber(who[0], who[1], body)
        if created is None:
            return JSONResponse({"message": "subscriber limit reached"}, 422)
        return JSONResponse(created.as_json(), 201)

    async def subscriptions(request: Request) -> Response:
        who = _identity(request)
        if isinstance(who, Response):
            return who
        subscriber = state.find(who[0], who[1], request.path_params["subscriber_id"])
        if subscriber is None:
            return JSONResponse({"message": "subscriber not found"}, 404)
        if request.method == "GET":
            return JSONResponse([s.as_json() for s in subscriber.subscriptions.values()])
        body = await body_of(request, SubscriptionIn)
        if isinstance(body, Response):
            return body
        if body.type != "https" or body.config.secret is None:
            return JSONResponse({"message": "the emulator delivers https subscriptions with a secret only"}, 422)
        created = state.add_subscription(subscriber, body)
        if created is None:
            return JSONResponse({"message": "subscription limit reached"}, 422)
        await state.apply(subscriber, created, "active")
        return JSONResponse(created.as_json(), 201)

    async def transition(request: Request) -> Response:
        who = _identity(request)
        if isinstance(who, Response):
            return who
        found = _subscription(state, who, request)
        if isinstance(found, Response):
            return found
        subscriber, subscription = found
        action = request.path_params["action"]
        if action == "suspend":
            await state.apply(subscriber, subscription, "suspended", notification_type="subscription.suspended.user")
        else:
            await state.apply(subscriber, subscription, "active", notification_type="subscription.resumed")
        return Response(status_code=204)

    async def system_suspend(request: Request) -> Response:
        """Test control: suspend as the platform does when deliveries keep failing."""
        found = state.find_subscription(request.path_params["subscription_id"])
        if found is None:
            return JSONResponse({"message": "subscription not found"}, 404)
        await state.apply(*found, "suspended", notification_type="subscription.suspended.system")
        return Response(status_code=204)

    async def reset(_request: Request) -> Response:
        state.reset()
        return Response(status_code=204)

    async def notifications(_request: Request) -> Response:
        return JSONResponse({"notifications": list(state.notifications)})

    app = Starlette(routes=[
        Route(f"{API}/subscribers", subscribers, methods=["GET", "POST"]),
        Route(f"{API}/subscribers/{{subscriber_id}}", _patch_subscriber, methods=["PATCH"]),
        Route(f"{API}/subscribers/{{subscriber_id}}/subscriptions", subscriptions, methods=["GET", "POST"]),
        Route(f"{API}/subscribers/{{subscriber_id}}/subscriptions/{{subscription_id}}/{{action:str}}", transition,
              methods=["POST"]),
        Route("/_emulator/subscriptions/{subscription_id}/system-suspend", system_suspend, methods=["POST"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/notifications", notifications, methods=["GET"]),
    ])
    app.state.platform = state
    return app


def _subscription(state: EventPlatformEmulator, who: tuple[str, str],
                  request: Request) -> tuple[_Subscriber, _Subscription] | Response:
    if request.path_params["action"] not in ("suspend", "resume"):
        return JSONResponse({"message": "unknown action"}, 404)
    subscriber = state.find(who[0], who[1], request.path_params["subscriber_id"])
    subscription = subscriber.subscriptions.get(request.path_params["subscription_id"]) if subscriber else None
    if subscriber is None or subscription is None:
        return JSONResponse({"message": "subscription not found"}, 404)
    return subscriber, subscription
