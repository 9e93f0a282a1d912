"""The Event Platform management API's request bodies, as the emulator validates them.

Shapes follow the docs' examples (docs: content/event-platform/getting-started.md, concepts.md);
a refused body is a 400 with the reasons, rendered by the API as `{"code", "message"}`.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from akeneo_sync.emulator.events import Secrets

__all__ = ["EventPlatformError", "SubscriberIn", "SubscriberPatch", "SubscriptionIn", "parse"]

_RESERVED_HEADERS: Final = frozenset(
    {"content-type", "user-agent", "x-correlation-id", "host", "authorization", "cookie"}
)


class EventPlatformError(Exception):
    """A refused management call; rendered as `{"code", "message"}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Contact(BaseModel):
    """The subscriber's contact; the notification webhook lives here (docs:
    content/event-platform/notification-webhooks.md), the secret is never returned."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    technical_email: str = Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")
    notification_channels: list[Literal["email", "webhook"]] | None = None
    notification_webhook_url: str | None = None
    notification_webhook_secret: str | None = Field(default=None, min_length=16, max_length=256)


class SubscriberPatch(BaseModel):
    """`PATCH /subscribers/{id}` body."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contact: Contact


class SubscriberIn(BaseModel):
    """`POST /subscribers` body."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=255)
    contact: Contact
    # Accepted at the top level too (the shape this emulator first took); `contact` wins.
    notification_channels: list[Literal["email", "webhook"]] | None = None
    notification_webhook_url: str | None = None
    notification_webhook_secret: str | None = Field(default=None, min_length=16, max_length=256)

    def webhook(self) -> tuple[str, str] | None:
        """(url, secret) when status notifications go to a webhook, else None."""
        contact = self.contact
        url = contact.notification_webhook_url or self.notification_webhook_url
        secret = contact.notification_webhook_secret or self.notification_webhook_secret
        channels = contact.notification_channels or self.notification_channels
        if not url or not secret or (channels is not None and "webhook" not in channels):
            return None
        return url, secret


class HttpsConfig(BaseModel):
    """An HTTPS destination: public https URL, signing secrets, at most 5 custom headers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    secret: Secrets
    headers: dict[str, str] = Field(default_factory=dict, max_length=5)

    @field_validator("url")
    @classmethod
    def _https_or_loopback(cls, url: str) -> str:
        parts = urlsplit(url)
        # The real platform needs a public https URL; the emulator also lets tests use loopback http.
        if parts.scheme == "https" and parts.hostname:
            return url
        if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
            return url
        raise ValueError("the destination must be an https URL")

    @field_validator("headers")
    @classmethod
    def _custom_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            lowered = name.lower()
            if lowered in _RESERVED_HEADERS or lowered.startswith("x-akeneo-signature"):
                raise ValueError(f"header {name} is reserved")
            if not (0 < len(name) <= 128 and all(c.isalnum() or c == "-" for c in name)):
                raise ValueError(f"invalid header name {name!r}")
            if len(value) > 256 or not value.isprintable() or not value.isascii():
                raise ValueError(f"invalid value for header {name}")
        return headers


class SubscriptionIn(BaseModel):
    """`POST /subscribers/{id}/subscriptions` body (https destinations only in the emulator)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Literal["pim"]
    subject: str = Field(min_length=1)
    events: list[str] = Field(min_length=1)
    type: Literal["https"]
    config: HttpsConfig
    send_product_identifier: bool = False
    filter: str | None = Field(default=None, max_length=500)

    @field_validator("events")
    @classmethod
    def _known_prefix(cls, events: list[str]) -> list[str]:
        if not all(e.startswith("com.akeneo.pim.v1.") for e in events):
            raise ValueError("event types start with com.akeneo.pim.v1.")
        return events


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse(model: type[SubscriberIn] | type[SubscriberPatch] | type[SubscriptionIn], raw: bytes) -> Any:
    """Validate a management body; 400 with the reasons otherwise."""
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise EventPlatformError(400, f"Invalid request body: {reasons}") from exc
