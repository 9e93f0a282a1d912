"""A client of the Event Platform management API: subscribers and subscriptions (docs/akeneo.md).

Every call carries the PIM's identity in `X-PIM-URL`, `X-PIM-TOKEN` and `X-PIM-CLIENT-ID`. The
app calls `ensure_subscription` from its `app_activated` actor; it is idempotent, so a re-activation
or a retried message reuses the subscriber and the subscription pointing at our `/events`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from akeneo_sync.errors import PimError, PimUnavailableError, PimValidationError, RateLimitedError, TokenRevokedError
from akeneo_sync.eventplatform.models import (
    SUBSCRIBED_EVENTS,
    Contact,
    HttpsConfig,
    Secrets,
    SubscriberIn,
    SubscriberOut,
    SubscriberPatch,
    SubscriptionIn,
    SubscriptionOut,
    items_of,
)
from akeneo_sync.logging import get_logger

__all__ = ["EventPlatformClient", "PimIdentity"]

_log = get_logger(__name__)
_M = TypeVar("_M", bound=BaseModel)
_REUSABLE: Final = frozenset({"active", "suspended"})


@dataclass(frozen=True, slots=True)
class PimIdentity:
    """Who is asking: the PIM, an API token of the app on it, and the app's client id."""

    pim_url: str
    token: str
    client_id: str

    def __repr__(self) -> str:
        return f"PimIdentity(pim_url={self.pim_url!r}, token='***', client_id={self.client_id!r})"

    def headers(self) -> dict[str, str]:
        """The identification headers of every management call."""
        return {"X-PIM-URL": self.pim_url, "X-PIM-TOKEN": self.token, "X-PIM-CLIENT-ID": self.client_id}


class EventPlatformClient:
    """Calls the management API at `base_url` (e.g. `https://event.prd.sdk.akeneo.cloud/api/v1`)."""

    def __init__(
        self,
        http: httpx.Client,
        base_url: str,
        *,
        technical_email: str = "ops@example.com",
        subscriber_name: str = "akeneo-sync",
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._technical_email = technical_email
        self._subscriber_name = subscriber_name

    def list_subscribers(self, who: PimIdentity) -> list[SubscriberOut]:
        """The subscribers of this PIM and app."""
        return [_parse(SubscriberOut, item) for item in items_of(self._call("GET", "/subscribers", who))]

    def create_subscriber(
        self, who: PimIdentity, *, notification_url: str | None = None, notification_secret: str | None = None
    ) -> SubscriberOut:
        """Create the app's subscriber (optionally with a status-notification webhook)."""
        body = SubscriberIn(name=self._subscriber_name, contact=self._contact(notification_url, notification_secret))
        return _parse(SubscriberOut, self._call("POST", "/subscribers", who, body))

    def update_notifications(
        self, who: PimIdentity, subscriber_id: str, *, notification_url: str, notification_secret: str
    ) -> None:
        """Point the subscriber's status notifications at `notification_url`, signed with `notification_secret`."""
        body = SubscriberPatch(contact=self._contact(notification_url, notification_secret))
        self._call("PATCH", f"/subscribers/{subscriber_id}", who, body)

    def _contact(self, notification_url: str | None, notification_secret: str | None) -> Contact:
        if notification_url is None or notification_secret is None:
            return Contact(technical_email=self._technical_email)
        # E-mail stays on: a notice the webhook misses still reaches a person.
        return Contact(
            technical_email=self._technical_email,
            notification_channels=["email", "webhook"],
            notification_webhook_url=notification_url,
            notification_webhook_secret=notification_secret,
        )

    def list_subscriptions(self, who: PimIdentity, subscriber_id: str) -> list[SubscriptionOut]:
        """The subscriptions of one subscriber."""
        payload = self._call("GET", f"/subscribers/{subscriber_id}/subscriptions", who)
        return [_parse(SubscriptionOut, item) for item in items_of(payload)]

    def create_subscription(
        self,
        who: PimIdentity,
        subscriber_id: str,
        *,
        url: str,
        secrets: Sequence[str],
        events: Sequence[str] = SUBSCRIBED_EVENTS,
    ) -> SubscriptionOut:
        """Subscribe `url` to `events`, signed with `secrets` (primary[, secondary])."""
        signing = Secrets(primary=secrets[0], secondary=secrets[1] if len(secrets) > 1 else None)
        body = SubscriptionIn(subject=who.pim_url, events=list(events), config=HttpsConfig(url=url, secret=signing))
        return _parse(SubscriptionOut, self._call("POST", f"/subscribers/{subscriber_id}/subscriptions", who, body))

    def suspend(self, who: PimIdentity, subscriber_id: str, subscription_id: str) -> None:
        """Stop deliveries until `resume`."""
        self._call("POST", f"/subscribers/{subscriber_id}/subscriptions/{subscription_id}/suspend", who)

    def resume(self, who: PimIdentity, subscriber_id: str, subscription_id: str) -> None:
        """Restart deliveries of a suspended subscription."""
        self._call("POST", f"/subscribers/{subscriber_id}/subscriptions/{subscription_id}/resume", who)

    def ensure_subscription(
        self, pim_url: str, token: str, client_id: str, public_url: str, secrets: Sequence[str]
    ) -> str:
        """The id of an active subscription delivering product events to `{public_url}/events`.

        Reuses the app's subscriber and any subscription already pointing at that URL (resuming
        it when suspended); creates only what is missing.
        """
        if not secrets or not secrets[0]:
            raise PimValidationError("EVENT_SECRETS is empty: subscriptions must be signed", endpoint="event-platform")
        who = PimIdentity(pim_url=pim_url.rstrip("/"), token=token, client_id=client_id)
        destination = f"{public_url.rstrip('/')}/events"
        subscribers = [s for s in self.list_subscribers(who) if s.status == "active"]
        # Status notifications go to our webhook, signed with the primary secret (the platform
        # requires 16-256 characters; a shorter secret leaves the e-mail default).
        notify = 16 <= len(secrets[0]) <= 256
        notification_url = f"{public_url.rstrip('/')}/events/notifications"
        if subscribers:
            subscriber = subscribers[0]
            if notify:
                # After a rotation the subscriber still signs with the old secret: give it the primary.
                self.update_notifications(
                    who, subscriber.id, notification_url=notification_url, notification_secret=secrets[0]
                )
        else:
            subscriber = self.create_subscriber(
                who,
                notification_url=notification_url if notify else None,
                notification_secret=secrets[0] if notify else None,
            )
        for subscription in self.list_subscriptions(who, subscriber.id):
            if subscription.url == destination and subscription.status in _REUSABLE:
                if subscription.status == "suspended":
                    self.resume(who, subscriber.id, subscription.id)
                _log.info("event_subscription_reused", subscription=subscription.id, pim_url=who.pim_url)
                return subscription.id
        created = self.create_subscription(who, subscriber.id, url=destination, secrets=secrets)
        _log.info("event_subscription_created", subscription=created.id, pim_url=who.pim_url)
        return created.id

    def _call(self, method: str, path: str, who: PimIdentity, body: BaseModel | None = None) -> Any:
        endpoint = f"event-platform:{method} {path.split('/')[1]}"
        try:
            response = self._http.request(
                method,
                f"{self._base_url}{path}",
                headers=who.headers(),
                json=body.model_dump(mode="json", exclude_none=True) if body is not None else None,
            )
        except httpx.HTTPError as exc:
            raise PimUnavailableError(f"Event Platform unreachable: {type(exc).__name__}", endpoint=endpoint) from exc
        if response.is_success:
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError as exc:
                raise PimError(
                    "Event Platform answered with a non-JSON body", endpoint=endpoint, status=response.status_code
                ) from exc
        raise _error(response, endpoint)


def _parse(model: type[_M], payload: Any) -> _M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        message = f"Event Platform answered with an unexpected {model.__name__}"
        raise PimError(message, endpoint="event-platform") from exc


def _error(response: httpx.Response, endpoint: str) -> PimError:
    status = response.status_code
    kwargs: dict[str, Any] = {"endpoint": endpoint, "status": status, "body": response.text}
    if status == 401:
        return TokenRevokedError("Event Platform refused the PIM token", **kwargs)
    if status == 429:
        return RateLimitedError("Event Platform throttled the request", **kwargs)
    if status >= 500 or status == 408:
        return PimUnavailableError(f"Event Platform failed with {status}", **kwargs)
    return PimValidationError(f"Event Platform refused the request with {status}", **kwargs)
