"""The emulated Event Platform management API and deliveries to its subscriptions."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from emulator_support import WAIT_S, Receiver

from akeneo_sync.emulator.testing import EmulatorHandle

pytestmark = pytest.mark.integration

EP = "/event-platform/api/v1"
SECRET = "subscription-primary-secret"
NOTIFY_SECRET = "notification-secret-0123456789"
UPDATED = "com.akeneo.pim.v1.product.updated"


class Platform:
    """A management-API client holding the app's PIM token, as the app's actor would."""

    def __init__(self, pim: EmulatorHandle, client_id: str = "ep-app") -> None:
        token = pim.admin.post("/_emulator/tokens", json={"client_id": client_id}).json()["access_token"]
        self.token = token
        self.http = httpx.Client(
            base_url=f"{pim.base_url}{EP}",
            timeout=10.0,
            headers={"X-PIM-URL": pim.base_url, "X-PIM-TOKEN": token, "X-PIM-CLIENT-ID": client_id},
        )

    def subscriber(self, **extra: Any) -> dict[str, Any]:
        response = self.http.post(
            "/subscribers", json={"name": "akeneo-sync", "contact": {"technical_email": "ops@example.com"}, **extra}
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def subscription(self, subscriber_id: str, url: str, **extra: Any) -> httpx.Response:
        body = {
            "source": "pim",
            "subject": "https://pim.example.com",
            "events": [UPDATED],
            "type": "https",
            "config": {"url": url, "secret": {"primary": SECRET}},
        } | extra
        return self.http.post(f"/subscribers/{subscriber_id}/subscriptions", json=body)


@pytest.fixture
def platform_for(pim: EmulatorHandle) -> Iterator[Callable[[str], Platform]]:
    """Build management clients for app client ids; closes them afterwards."""
    made: list[Platform] = []

    def make(client_id: str) -> Platform:
        made.append(Platform(pim, client_id))
        return made[-1]

    yield make
    for built in made:
        built.http.close()


@pytest.fixture
def platform(platform_for: Callable[[str], Platform]) -> Platform:
    return platform_for("ep-app")


def touch(pim: EmulatorHandle) -> str:
    """Update one product through the admin API; returns its UUID."""
    uuid: str = pim.admin.post("/_emulator/products", json={"sku": "EP-1"}).json()["uuid"]
    pim.admin.patch(f"/_emulator/products/{uuid}", json={"values": {"name": "changed"}}).raise_for_status()
    return uuid


def settled(pim: EmulatorHandle) -> list[dict[str, Any]]:
    body = pim.admin.get("/_emulator/events", params={"wait_s": WAIT_S}).json()
    assert body["idle"] is True
    deliveries: list[dict[str, Any]] = body["deliveries"]
    return deliveries


def test_management_calls_need_the_three_pim_headers_and_a_matching_client(
    pim: EmulatorHandle, platform: Platform
) -> None:
    body = {"name": "n", "contact": {"technical_email": "a@b.c"}}

    missing = httpx.post(f"{pim.base_url}{EP}/subscribers", json=body)
    bad_token = platform.http.post("/subscribers", json=body, headers={"X-PIM-TOKEN": "nope"})
    other_client = platform.http.post("/subscribers", json=body, headers={"X-PIM-CLIENT-ID": "someone-else"})

    assert missing.status_code == 401
    assert bad_token.status_code == 401
    assert other_client.status_code == 403


def test_a_subscriber_has_the_documented_shape_and_is_unique_per_pim_and_client(
    pim: EmulatorHandle, platform: Platform
) -> None:
    created = platform.subscriber()
    again = platform.http.post("/subscribers", json={"name": "x", "contact": {"technical_email": "a@b.c"}})

    assert {"id", "name", "subject", "status", "contact", "created_at", "updated_at"} <= set(created)
    assert created["subject"] == pim.base_url
    assert created["status"] == "active"
    assert created["contact"] == {"technical_email": "ops@example.com"}
    assert again.status_code == 409
    assert platform.http.get(f"/subscribers/{created['id']}").json() == created


def test_a_subscriber_is_seen_only_by_its_client(platform_for: Callable[[str], Platform]) -> None:
    mine, other = platform_for("ep-app"), platform_for("ep-other")
    created = mine.subscriber()
    path = f"/subscribers/{created['id']}"

    assert [s["id"] for s in mine.http.get("/subscribers").json()] == [created["id"]]
    assert other.http.get("/subscribers").json() == []
    assert other.http.get(path).status_code == 404
    assert other.http.get(f"{path}/subscriptions").status_code == 404
    assert mine.http.post(f"{path}/subscriptions/nope/suspend").status_code == 404


def test_an_active_subscription_receives_its_event_types_signed_with_its_secret(
    pim: EmulatorHandle, platform: Platform, receiver: Receiver
) -> None:
    subscriber = platform.subscriber()
    response = platform.subscription(
        subscriber["id"],
        receiver.url,
        send_product_identifier=True,
        config={"url": receiver.url, "secret": {"primary": SECRET}, "headers": {"X-Tenant": "t1"}},
    )
    subscription = response.json()

    uuid = touch(pim)
    deliveries = settled(pim)

    assert response.status_code == 201
    assert subscription["status"] == "active"
    assert subscription["config"]["secret"] == {"primary": "********"}
    assert [d["type"] for d in deliveries] == [UPDATED]
    headers, raw = receiver.received[0]
    event = json.loads(raw)
    assert event["subject"] == subscription["id"]
    assert event["data"]["product"] == {"uuid": uuid, "identifier": "EP-1"}
    assert headers["x-akeneo-signature-primary"] == hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert headers["x-tenant"] == "t1"


def test_a_suspended_subscription_gets_nothing_until_resumed_and_each_change_is_notified(
    pim: EmulatorHandle, platform: Platform, receiver: Receiver
) -> None:
    subscriber = platform.subscriber(
        notification_webhook_url=receiver.url.replace("/events", "/notifications"),
        notification_webhook_secret=NOTIFY_SECRET,
    )
    subscription = platform.subscription(subscriber["id"], receiver.url).json()
    base = f"/subscribers/{subscriber['id']}/subscriptions/{subscription['id']}"

    suspended = platform.http.post(f"{base}/suspend")
    touch(pim)
    quiet = settled(pim)
    resumed = platform.http.post(f"{base}/resume")
    touch(pim)
    after = settled(pim)

    assert suspended.json()["status"] == "suspended"
    assert resumed.json()["status"] == "active"
    assert [d["kind"] for d in quiet] == ["notification"]
    assert [d["type"] for d in after if d["kind"] == "event"] == [UPDATED]
    notes = [
        (json.loads(raw), headers)
        for (headers, raw), path in zip(receiver.received, receiver.paths, strict=True)
        if path == "/notifications"
    ]
    assert [n["notification_type"] for n, _ in notes] == ["subscription.suspended.user", "subscription.resumed"]
    first, headers = notes[0]
    assert first["subscription_id"] == subscription["id"]
    assert first["subscriber_id"] == subscriber["id"]
    assert first["destination"] == receiver.url
    assert headers["user-agent"] == "akeneo/event-platform"
    raw = receiver.received[receiver.paths.index("/notifications")][1]
    assert headers["x-akeneo-signature-primary"] == hmac.new(NOTIFY_SECRET.encode(), raw, hashlib.sha256).hexdigest()


def test_a_404_from_the_destination_suspends_the_subscription_at_once(
    pim: EmulatorHandle, platform: Platform, receiver: Receiver
) -> None:
    receiver.answers = [404]
    subscriber = platform.subscriber()
    subscription = platform.subscription(subscriber["id"], receiver.url).json()

    touch(pim)
    deliveries = settled(pim)
    status = platform.http.get(f"/subscribers/{subscriber['id']}/subscriptions/{subscription['id']}").json()

    assert deliveries[0]["statuses"] == [404]
    assert deliveries[0]["outcome"] == "dropped"
    assert status["status"] == "suspended"


def test_revoking_the_app_token_revokes_its_subscriptions_for_good(
    pim: EmulatorHandle, platform: Platform, receiver: Receiver, platform_for: Callable[[str], Platform]
) -> None:
    subscriber = platform.subscriber()
    subscription = platform.subscription(subscriber["id"], receiver.url).json()
    path = f"/subscribers/{subscriber['id']}/subscriptions/{subscription['id']}"
    other = platform_for("other-app")

    pim.admin.post("/_emulator/tokens/revoke", json={"access_token": platform.token}).raise_for_status()
    touch(pim)

    assert settled(pim) == []
    assert pim.emulator.event_platform.targets_for(UPDATED) == []
    assert other.http.get(path).status_code == 404
    assert platform.http.get(path).status_code == 401


def test_a_system_suspension_can_be_forced_from_the_admin_api_and_resumed(
    pim: EmulatorHandle, platform: Platform, receiver: Receiver
) -> None:
    subscriber = platform.subscriber()
    subscription = platform.subscription(subscriber["id"], receiver.url).json()

    forced = pim.admin.post(f"/_emulator/event-platform/subscriptions/{subscription['id']}/suspend")
    resumed = platform.http.post(f"/subscribers/{subscriber['id']}/subscriptions/{subscription['id']}/resume")
    resume_again = platform.http.post(f"/subscribers/{subscriber['id']}/subscriptions/{subscription['id']}/resume")

    assert forced.json()["status"] == "suspended"
    assert resumed.json()["status"] == "active"
    assert resume_again.status_code == 409


@pytest.mark.parametrize(
    "change",
    [
        {"config": {"url": "http://example.com/events", "secret": {"primary": SECRET}}},
        {
            "config": {
                "url": "https://example.com/events",
                "secret": {"primary": SECRET},
                "headers": {"Authorization": "x"},
            }
        },
        {"config": {"url": "https://example.com/events"}},
        {"events": ["product.updated"]},
        {"events": []},
        {"type": "kafka"},
        {"source": "erp"},
    ],
)
def test_invalid_subscriptions_are_refused_with_400(platform: Platform, change: dict[str, Any]) -> None:
    subscriber = platform.subscriber()

    response = platform.subscription(subscriber["id"], "https://example.com/events", **change)

    assert response.status_code == 400
    assert set(response.json()) == {"code", "message"}


def test_a_deleted_subscription_is_gone_and_gets_no_events(
    pim: EmulatorHandle, platform: Platform, receiver: Receiver
) -> None:
    subscriber = platform.subscriber()
    subscription = platform.subscription(subscriber["id"], receiver.url).json()
    path = f"/subscribers/{subscriber['id']}/subscriptions/{subscription['id']}"

    deleted = platform.http.delete(path)
    touch(pim)

    assert deleted.status_code == 204
    assert platform.http.get(path).status_code == 404
    assert platform.http.get(f"/subscribers/{subscriber['id']}/subscriptions").json() == []
    assert settled(pim) == []
