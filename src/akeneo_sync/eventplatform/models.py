"""The Event Platform management API's payloads as the client sends and reads them (docs/akeneo.md).

The bundled emulator (`emulator/event_platform.py`) validates requests with its own, stricter
models on purpose: it checks this client, so it must not share its code.

The full management OpenAPI is hosted remotely, not in Akeneo's docs repository; these models
follow the getting-started examples and ignore fields they do not know (GAP: list responses are
not documented, so lists are read as a JSON array or as an object holding `items`/`data`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Contact",
    "HttpsConfig",
    "Secrets",
    "SubscriberIn",
    "SubscriberOut",
    "SubscriberPatch",
    "SubscriptionIn",
    "SubscriptionOut",
    "items_of",
]

PRODUCT_EVENTS = (
    "com.akeneo.pim.v1.product.created",
    "com.akeneo.pim.v1.product.updated",
    "com.akeneo.pim.v1.product.deleted",
)
# Every type the receiver (`web/events.py`) acts on. `product.updated.delta` is handled too, for
# subscriptions made by hand, but not asked for: it repeats `product.updated` with more detail,
# and both would deliver every change twice.
MODEL_EVENTS = (
    "com.akeneo.pim.v1.product-model.created",
    "com.akeneo.pim.v1.product-model.updated",
    "com.akeneo.pim.v1.product-model.deleted",
)
SUBSCRIBED_EVENTS = (*PRODUCT_EVENTS, *MODEL_EVENTS, "com.akeneo.pim.v1.app.deleted")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Contact(_Model):
    """Where the platform tells of status changes: e-mail, and the webhook when its channel is listed.

    The webhook fields live in `contact` and need `webhook` among `notification_channels` (docs:
    content/event-platform/notification-webhooks.md); the secret is never returned.
    """

    technical_email: str = Field(min_length=3, max_length=254)
    notification_channels: list[Literal["email", "webhook"]] | None = None
    notification_webhook_url: str | None = None
    notification_webhook_secret: str | None = Field(default=None, min_length=16, max_length=256)


class SubscriberIn(_Model):
    """`POST /subscribers` body."""

    name: str = Field(min_length=1, max_length=255)
    contact: Contact


class SubscriberPatch(_Model):
    """`PATCH /subscribers/{id}` body: the fields to change."""

    contact: Contact


class SubscriberOut(_Model):
    """A subscriber as the platform returns it."""

    id: str
    name: str = ""
    subject: str = ""
    status: str = "active"


class Secrets(_Model):
    """Signing secrets of an HTTPS subscription (secondary only during a rotation)."""

    primary: str = Field(min_length=1)
    secondary: str | None = None


class HttpsConfig(_Model):
    """Destination of an HTTPS subscription."""

    url: str = Field(min_length=1)
    secret: Secrets | None = None


class SubscriptionIn(_Model):
    """`POST /subscribers/{id}/subscriptions` body."""

    source: str = "pim"
    subject: str = Field(min_length=1)
    events: list[str] = Field(min_length=1)
    type: Literal["https", "pubsub", "kafka"] = "https"
    config: HttpsConfig
    send_product_identifier: bool = False


class SubscriptionOut(_Model):
    """A subscription as the platform returns it (secrets are never echoed back)."""

    id: str
    status: str = "active"
    subject: str = ""
    events: list[str] = Field(default_factory=list)
    type: str = "https"
    config: dict[str, Any] = Field(default_factory=dict)

    @property
    def url(self) -> str | None:
        """The HTTPS destination, if any."""
        value = self.config.get("url")
        return value if isinstance(value, str) else None


def items_of(payload: Any) -> list[Any]:
    """The entries of a list response, whichever envelope the platform uses."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        for key in ("items", "data", "subscribers", "subscriptions"):
            value = payload.get(key)
            if isinstance(value, list):
                return value
        embedded = payload.get("_embedded")
        if isinstance(embedded, dict) and isinstance(embedded.get("items"), list):
            items: list[Any] = embedded["items"]
            return items
    return []
