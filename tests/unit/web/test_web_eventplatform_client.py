"""The Event Platform management client's decisions, on a mock transport."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from akeneo_sync.errors import (
    PimError,
    PimUnavailableError,
    PimValidationError,
    RateLimitedError,
    TokenRevokedError,
)
from akeneo_sync.eventplatform import EventPlatformClient, PimIdentity
from akeneo_sync.eventplatform.models import items_of

BASE = "https://event.example.com/api/v1"
WHO = PimIdentity("https://pim.example.com", "pim-token", "client-1")
Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler) -> EventPlatformClient:
    return EventPlatformClient(httpx.Client(transport=httpx.MockTransport(handler)), BASE)


def test_every_call_identifies_the_pim_token_and_client() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    client_for(handler).list_subscribers(WHO)
    (request,) = seen
    assert str(request.url) == f"{BASE}/subscribers"
    assert request.headers["X-PIM-URL"] == "https://pim.example.com"
    assert request.headers["X-PIM-TOKEN"] == "pim-token"
    assert request.headers["X-PIM-CLIENT-ID"] == "client-1"


def test_the_identity_never_shows_its_token() -> None:
    assert "pim-token" not in repr(WHO)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, TokenRevokedError),
        (403, PimValidationError),
        (404, PimValidationError),
        (422, PimValidationError),
        (429, RateLimitedError),
        (408, PimUnavailableError),
        (500, PimUnavailableError),
        (503, PimUnavailableError),
    ],
)
def test_error_statuses_map_to_the_error_tree(status: int, error: type[PimError]) -> None:
    with pytest.raises(error) as caught:
        client_for(lambda _r: httpx.Response(status, text="nope")).list_subscribers(WHO)
    assert caught.value.status == status
    assert "pim-token" not in str(caught.value)


def test_a_transport_failure_is_retryable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(PimUnavailableError) as caught:
        client_for(handler).list_subscribers(WHO)
    assert caught.value.retryable


def test_an_unexpected_body_is_a_pim_error_not_a_crash() -> None:
    with pytest.raises(PimError, match="unexpected"):
        client_for(lambda _r: httpx.Response(201, json={"no": "id"})).create_subscriber(WHO)


@pytest.mark.parametrize(
    "payload",
    [[{"id": "a"}], {"items": [{"id": "a"}]}, {"data": [{"id": "a"}]}, {"_embedded": {"items": [{"id": "a"}]}}],
)
def test_list_responses_are_read_in_every_known_envelope(payload: object) -> None:
    assert items_of(payload) == [{"id": "a"}]


def test_ensure_subscription_creates_what_is_missing_with_signed_https_config() -> None:
    posted: list[tuple[str, dict[str, object]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=[])
        body = json.loads(request.content)
        posted.append((request.url.path, body))
        created_id = "sub-1" if request.url.path.endswith("/subscriptions") else "subscriber-1"
        return httpx.Response(201, json={"id": created_id, "status": "active"})

    secret = "a-primary-secret-of-32-characters"
    subscription = client_for(handler).ensure_subscription(
        "https://pim.example.com/", "pim-token", "client-1", "https://app.example.com/", [secret, "second"]
    )
    assert subscription == "sub-1"
    (subscriber_path, subscriber), (subscription_path, body) = posted
    assert subscriber_path == "/api/v1/subscribers"
    # In `contact`, with the webhook channel on (notification-webhooks.md); e-mail stays on too.
    assert subscriber["contact"] == {
        "technical_email": "ops@example.com",
        "notification_channels": ["email", "webhook"],
        "notification_webhook_url": "https://app.example.com/events/notifications",
        "notification_webhook_secret": secret,
    }
    assert subscription_path == "/api/v1/subscribers/subscriber-1/subscriptions"
    assert body["subject"] == "https://pim.example.com"
    assert body["type"] == "https"
    signing = {"primary": secret, "secondary": "second"}
    assert body["config"] == {"url": "https://app.example.com/events", "secret": signing}
    assert "com.akeneo.pim.v1.product.deleted" in body["events"]


def test_ensure_subscription_resumes_a_suspended_subscription_to_our_url() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        if request.url.path.endswith("/subscribers"):
            return httpx.Response(200, json=[{"id": "subscriber-1", "status": "active"}])
        if request.url.path.endswith("/subscriptions"):
            return httpx.Response(
                200,
                json=[
                    {"id": "other", "status": "active", "config": {"url": "https://elsewhere.example.com/hook"}},
                    {"id": "ours", "status": "suspended", "config": {"url": "https://app.example.com/events"}},
                ],
            )
        return httpx.Response(204)

    subscription = client_for(handler).ensure_subscription(
        "https://pim.example.com", "pim-token", "client-1", "https://app.example.com", ["primary-secret"]
    )
    assert subscription == "ours"
    assert calls[-1] == "POST /api/v1/subscribers/subscriber-1/subscriptions/ours/resume"
    assert not any(call.startswith("POST") and call.endswith("/subscriptions") for call in calls)


def test_ensure_subscription_refuses_to_subscribe_unsigned() -> None:
    with pytest.raises(PimValidationError, match="EVENT_SECRETS"):
        client_for(lambda _r: httpx.Response(200, json=[])).ensure_subscription(
            "https://pim.example.com", "t", "c", "https://app.example.com", []
        )
