"""The Event Platform management API (subscribers, subscriptions, suspend/resume), emulated.

Served under `/event-platform/api/v1` (the real one lives at event.prd.sdk.akeneo.cloud/api/v1).
Every call carries `X-PIM-URL`, `X-PIM-TOKEN` (a PIM token of this emulator) and `X-PIM-CLIENT-ID`
(docs: content/event-platform/getting-started.md). Shapes follow the docs' examples; the full
OpenAPI is hosted remotely and was not available, so error bodies reuse the PIM's `{code, message}`.
Unlike the real platform, changes go live at once (the docs warn of minutes).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from akeneo_sync.clock import Clock
from akeneo_sync.emulator.catalog_data import new_uuid
from akeneo_sync.emulator.event_platform_bodies import EventPlatformError, SubscriberIn, SubscriberPatch, SubscriptionIn
from akeneo_sync.emulator.events import DeliveryTarget, EventDispatcher

__all__ = ["SubscriptionRegistry"]

MAX_SUBSCRIBERS_PER_PIM: Final = 20  # docs: content/event-platform/limitations.md
MAX_SUBSCRIPTIONS: Final = 20


def _stamp(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(slots=True)
class _Subscriber:
    id: str
    client_id: str
    subject: str
    spec: SubscriberIn
    status: str
    created_at: str
    updated_at: str

    def as_json(self) -> dict[str, Any]:
        body = {
            "id": self.id,
            "name": self.spec.name,
            "subject": self.subject,
            "status": self.status,
            "contact": self.spec.contact.model_dump(exclude={"notification_webhook_secret"}, exclude_none=True),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        if self.spec.notification_channels is not None:
            body["notification_channels"] = list(self.spec.notification_channels)
        return body


@dataclass(slots=True)
class _Subscription:
    id: str
    subscriber_id: str
    spec: SubscriptionIn
    status: str
    created_at: str
    updated_at: str
    history: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        config = self.spec.config.model_dump()
        # Secrets are write-only, as any sane API keeps them.
        config["secret"] = {k: "********" for k, v in config["secret"].items() if v}
        return {
            "id": self.id,
            "subscriber_id": self.subscriber_id,
            "source": self.spec.source,
            "subject": self.spec.subject,
            "type": self.spec.type,
            "events": list(self.spec.events),
            "status": self.status,
            "config": config,
            "send_product_identifier": self.spec.send_product_identifier,
            "filter": self.spec.filter,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


class SubscriptionRegistry:
    """Subscribers and subscriptions of this PIM, and who receives which event type."""

    def __init__(self, clock: Clock, dispatcher: EventDispatcher, seed: int) -> None:
        self._clock = clock
        self._dispatcher = dispatcher
        self._seed = seed
        self._lock = threading.Lock()
        self.reset()
        dispatcher.connect(self.targets_for, self._rejected)

    def _rejected(self, subscription_id: str, status: int) -> None:
        self.set_status(subscription_id, "suspended", f"The destination answered {status}.", by_system=True)

    def reset(self) -> None:
        """Forget every subscriber and subscription."""
        with self._lock:
            self._subscribers: dict[str, _Subscriber] = {}
            self._subscriptions: dict[str, _Subscription] = {}
            self._rng = random.Random(f"event-platform:{self._seed}")  # noqa: S311 - reproducible ids

    def _now(self) -> str:
        return _stamp(self._clock.now())

    def create_subscriber(self, client_id: str, pim_url: str, spec: SubscriberIn) -> dict[str, Any]:
        """One subscriber per PIM and app/connection; 409 for a second one."""
        with self._lock:
            live = [s for s in self._subscribers.values() if s.status == "active"]
            if any(s.client_id == client_id and s.subject == pim_url for s in live):
                raise EventPlatformError(409, "A subscriber already exists for this PIM and client.")
            if sum(1 for s in live if s.subject == pim_url) >= MAX_SUBSCRIBERS_PER_PIM:
                raise EventPlatformError(422, f"At most {MAX_SUBSCRIBERS_PER_PIM} subscribers per PIM instance.")
            now = self._now()
            subscriber = _Subscriber(new_uuid(self._rng), client_id, pim_url, spec, "active", now, now)
            self._subscribers[subscriber.id] = subscriber
            return subscriber.as_json()

    def _subscriber(self, subscriber_id: str, client_id: str) -> _Subscriber:
        found = self._subscribers.get(subscriber_id)
        if found is None or found.client_id != client_id or found.status == "deleted":
            raise EventPlatformError(404, f"Subscriber {subscriber_id} not found.")
        return found

    def get_subscriber(self, subscriber_id: str, client_id: str) -> dict[str, Any]:
        """A subscriber of the caller."""
        with self._lock:
            return self._subscriber(subscriber_id, client_id).as_json()

    def list_subscribers(self, client_id: str) -> list[dict[str, Any]]:
        """The caller's live subscribers."""
        with self._lock:
            return [
                s.as_json() for s in self._subscribers.values() if s.client_id == client_id and s.status != "deleted"
            ]

    def notification_webhook(self, subscriber_id: str) -> tuple[str, str] | None:
        """(url, secret) the subscriber's status notifications go to: a test's view, the API never shows the secret."""
        with self._lock:
            return self._subscribers[subscriber_id].spec.webhook()

    def update_subscriber(self, subscriber_id: str, client_id: str, patch: SubscriberPatch) -> dict[str, Any]:
        """Replace the subscriber's contact fields given in `patch`."""
        with self._lock:
            subscriber = self._subscriber(subscriber_id, client_id)
            contact = subscriber.spec.contact.model_copy(update=patch.contact.model_dump(exclude_unset=True))
            subscriber.spec = subscriber.spec.model_copy(update={"contact": contact})
            subscriber.updated_at = self._now()
            return subscriber.as_json()

    def delete_subscriber(self, subscriber_id: str, client_id: str) -> None:
        """Delete a subscriber and its subscriptions."""
        with self._lock:
            subscriber = self._subscriber(subscriber_id, client_id)
            subscriber.status, subscriber.updated_at = "deleted", self._now()
            for subscription in self._subscriptions.values():
                if subscription.subscriber_id == subscriber.id:
                    subscription.status = "deleted"

    def create_subscription(self, subscriber_id: str, client_id: str, spec: SubscriptionIn) -> dict[str, Any]:
        """A new, immediately active subscription."""
        with self._lock:
            subscriber = self._subscriber(subscriber_id, client_id)
            mine = [s for s in self._subscriptions.values() if s.subscriber_id == subscriber.id]
            if sum(1 for s in mine if s.status != "deleted") >= MAX_SUBSCRIPTIONS:
                raise EventPlatformError(422, f"At most {MAX_SUBSCRIPTIONS} subscriptions per subscriber.")
            now = self._now()
            subscription = _Subscription(new_uuid(self._rng), subscriber.id, spec, "active", now, now)
            self._subscriptions[subscription.id] = subscription
            return subscription.as_json()

    def _subscription(self, subscriber_id: str, subscription_id: str, client_id: str) -> _Subscription:
        subscriber = self._subscriber(subscriber_id, client_id)
        found = self._subscriptions.get(subscription_id)
        if found is None or found.subscriber_id != subscriber.id or found.status == "deleted":
            raise EventPlatformError(404, f"Subscription {subscription_id} not found.")
        return found

    def get_subscription(self, subscriber_id: str, subscription_id: str, client_id: str) -> dict[str, Any]:
        """One subscription of the caller."""
        with self._lock:
            return self._subscription(subscriber_id, subscription_id, client_id).as_json()

    def list_subscriptions(self, subscriber_id: str, client_id: str) -> list[dict[str, Any]]:
        """The subscriber's subscriptions that are not deleted."""
        with self._lock:
            subscriber = self._subscriber(subscriber_id, client_id)
            return [
                s.as_json()
                for s in self._subscriptions.values()
                if s.subscriber_id == subscriber.id and s.status != "deleted"
            ]

    def user_action(self, subscriber_id: str, subscription_id: str, client_id: str, action: str) -> dict[str, Any]:
        """`suspend`, `resume` or `delete` on behalf of the app."""
        with self._lock:
            subscription = self._subscription(subscriber_id, subscription_id, client_id)
            if subscription.status == "revoked":
                raise EventPlatformError(409, "A revoked subscription cannot change status.")
            if action == "resume" and subscription.status != "suspended":
                raise EventPlatformError(409, "Only a suspended subscription can be resumed.")
        status = {"suspend": "suspended", "resume": "active", "delete": "deleted"}[action]
        return self.set_status(subscription_id, status, f"{action} requested through the API.", by_system=False)

    def set_status(self, subscription_id: str, status: str, reason: str, *, by_system: bool) -> dict[str, Any]:
        """Change a subscription's status and send the status notification, if configured."""
        with self._lock:
            subscription = self._subscriptions[subscription_id]
            if subscription.status == status:
                return subscription.as_json()
            subscription.status, subscription.updated_at = status, self._now()
            subscription.history.append(status)
            subscriber = self._subscribers[subscription.subscriber_id]
            body = subscription.as_json()
        kind = {
            "suspended": "subscription.suspended." + ("system" if by_system else "user"),
            "revoked": "subscription.revoked",
            "active": "subscription.resumed",
        }.get(status)
        webhook = subscriber.spec.webhook()
        if kind and webhook is not None:
            self._dispatcher.notify(
                {
                    "notification_type": kind,
                    "timestamp": self._now(),
                    "subscription_id": subscription.id,
                    "subscriber_id": subscriber.id,
                    "destination": subscription.spec.config.url,
                    "events": list(subscription.spec.events),
                    "reason": reason,
                    "subject": subscriber.subject,
                },
                DeliveryTarget(webhook[0], subscription.id, webhook[1], retry_delays_s=(0.1, 0.2)),
            )
        return body

    def revoke_client(self, client_id: str) -> None:
        """The app or connection was removed from the PIM: revoke its subscriptions at once."""
        with self._lock:
            ids = [
                s.id
                for s in self._subscriptions.values()
                if s.status in ("active", "suspended") and self._subscribers[s.subscriber_id].client_id == client_id
            ]
        for subscription_id in ids:
            self.set_status(subscription_id, "revoked", "The app was removed from the PIM.", by_system=True)

    def targets_for(self, event_type: str) -> list[DeliveryTarget]:
        """Active subscriptions that asked for `event_type`."""
        with self._lock:
            return [
                DeliveryTarget(
                    s.spec.config.url,
                    s.id,
                    s.spec.config.secret.primary,
                    s.spec.config.secret.secondary,
                    s.spec.source,
                    tuple(s.spec.config.headers.items()),
                    send_product_identifier=s.spec.send_product_identifier,
                    suspendable=True,
                )
                for s in self._subscriptions.values()
                if s.status == "active" and event_type in s.spec.events
            ]
