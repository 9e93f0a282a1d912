"""The Event Platform end to end: subscription at activation, signed deliveries, suspend and resume.

Two real servers on loopback sockets: the PIM emulator, whose Event Platform management API lives
at `/event-platform/api/v1`, and the web app (so the emulator can deliver to it). The enqueuer
records; the clock is manual, so batches are flushed explicitly rather than by waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from web_support import CLIENT_ID, PRIMARY, SECONDARY

from akeneo_sync.emulator.event_platform import SubscriptionRegistry
from akeneo_sync.emulator.testing import EmulatorHandle
from akeneo_sync.eventplatform import EventPlatformClient, PimIdentity
from akeneo_sync.state import StateStore
from akeneo_sync.state.subscriptions import SubscriptionState
from akeneo_sync.tenancy import tenant_id_for
from akeneo_sync.web.batching import ProductBatcher
from akeneo_sync.web.testing import Enqueued, RecordingEnqueuer
from helpers import flush_batches, running_asgi

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Stack:
    web_url: str
    platform_url: str
    platform: SubscriptionRegistry
    http: httpx.Client


@pytest.fixture
def stack(pim: EmulatorHandle, dev_app: FastAPI) -> Iterator[Stack]:
    with running_asgi(dev_app) as web_url, httpx.Client(timeout=10) as http:
        yield Stack(web_url, f"{pim.base_url}/event-platform/api/v1", pim.emulator.event_platform, http)


def system_suspend(pim: EmulatorHandle, subscription: str) -> None:
    """What the platform does when deliveries keep failing; returns once its notification settled."""
    pim.admin.post(f"/_emulator/event-platform/subscriptions/{subscription}/suspend").raise_for_status()
    settled(pim)


def settled(pim: EmulatorHandle) -> list[dict[str, object]]:
    """Every delivery (events and status notifications) so far, once none is pending."""
    body = pim.admin.get("/_emulator/events", params={"wait_s": 10}).json()
    assert body["idle"] is True
    deliveries: list[dict[str, object]] = body["deliveries"]
    return deliveries


def notifications(pim: EmulatorHandle) -> list[tuple[object, object]]:
    """(type, HTTP statuses) of each status notification delivered so far."""
    return [(d["type"], d["statuses"]) for d in settled(pim) if d["kind"] == "notification"]


def activate(stack: Stack, pim: EmulatorHandle) -> str:
    """The user connects the app; returns the tenant id."""
    authorize = stack.http.get(f"{stack.web_url}/activate", params={"pim_url": pim.base_url}).headers["location"]
    callback = urlsplit(stack.http.get(authorize).headers["location"])
    page = stack.http.get(f"{stack.web_url}{callback.path}?{callback.query}")
    assert page.status_code == 200, page.text
    return tenant_id_for(pim.base_url)


def subscribe(stack: Stack, store: StateStore, tenant: str, pim: EmulatorHandle) -> str:
    """What the `app_activated` actor does when EVENT_PLATFORM_URL is set."""
    client = EventPlatformClient(stack.http, stack.platform_url)
    token = store.tenants.token(tenant).access_token
    subscription = client.ensure_subscription(pim.base_url, token, CLIENT_ID, stack.web_url, [PRIMARY, SECONDARY])
    store.tenants.set_subscription(tenant, subscription)
    return subscription


def wait_delivered(pim: EmulatorHandle, count: int) -> list[dict[str, object]]:
    deliveries = settled(pim)
    assert len(deliveries) == count, deliveries
    assert all(d["outcome"] == "delivered" for d in deliveries), deliveries
    return deliveries


def test_product_events_from_the_subscription_made_at_activation_reach_the_enqueuer(
    stack: Stack, pim: EmulatorHandle, store: StateStore, enqueuer: RecordingEnqueuer, batcher: ProductBatcher
) -> None:
    tenant = activate(stack, pim)
    subscribe(stack, store, tenant, pim)
    created = pim.admin.post("/_emulator/products", json={"values": {}}).json()["uuid"]
    pim.admin.patch(f"/_emulator/products/{created}", json={"values": {}, "enabled": False}).raise_for_status()
    # The app's own API write comes back as an event too, and is ignored.
    pim.admin.patch(
        f"/_emulator/products/{created}", json={"values": {}, "author": {"identifier": CLIENT_ID, "type": "api"}}
    ).raise_for_status()
    pim.admin.delete(f"/_emulator/products/{created}").raise_for_status()
    wait_delivered(pim, 4)
    flush_batches(batcher, tenant)
    assert enqueuer.calls == [
        Enqueued("app_activated", tenant),
        Enqueued("sync_products", tenant, ((created,),)),
        Enqueued("delete_products", tenant, ((created,),)),
    ]


def test_ensure_subscription_is_idempotent(stack: Stack, pim: EmulatorHandle, store: StateStore) -> None:
    tenant = activate(stack, pim)
    first = subscribe(stack, store, tenant, pim)
    again = subscribe(stack, store, tenant, pim)
    assert first == again
    assert store.tenants.tenant_for_subscription(first) == tenant
    client = EventPlatformClient(stack.http, stack.platform_url)
    assert len(stack.platform.list_subscribers(CLIENT_ID)) == 1
    token = store.tenants.token(tenant).access_token
    who = PimIdentity(pim.base_url, token, CLIENT_ID)
    (subscriber,) = client.list_subscribers(who)
    assert [s.id for s in client.list_subscriptions(who, subscriber.id)] == [first]


def test_a_suspended_subscription_delivers_nothing_and_its_resumption_requests_a_reconcile(
    stack: Stack, pim: EmulatorHandle, store: StateStore, enqueuer: RecordingEnqueuer
) -> None:
    tenant = activate(stack, pim)
    subscription = subscribe(stack, store, tenant, pim)
    statuses = store.subscription_statuses
    system_suspend(pim, subscription)
    suspended = statuses.get(subscription)
    assert suspended is not None
    assert (suspended.state, suspended.by_system) == (SubscriptionState.SUSPENDED, True)
    pim.admin.post("/_emulator/products", json={"values": {}}).raise_for_status()
    assert [d["kind"] for d in settled(pim)] == ["notification"]  # the product event is lost while suspended
    # The operator resumes it (`tenants reactivate` runs ensure_subscription): the lost events are reconciled.
    client = EventPlatformClient(stack.http, stack.platform_url)
    client.ensure_subscription(
        pim.base_url, store.tenants.token(tenant).access_token, CLIENT_ID, stack.web_url, [PRIMARY, SECONDARY]
    )
    assert notifications(pim) == [("subscription.suspended.system", [202]), ("subscription.resumed", [202])]
    resumed = statuses.get(subscription)
    assert resumed is not None
    assert resumed.state is SubscriptionState.ACTIVE
    assert enqueuer.of("reconcile_tenant") == [Enqueued("reconcile_tenant", tenant)]


def test_a_secret_rotation_moves_the_subscribers_notification_secret_to_the_new_primary(
    stack: Stack, pim: EmulatorHandle, store: StateStore
) -> None:
    tenant = activate(stack, pim)
    client = EventPlatformClient(stack.http, stack.platform_url)
    token = store.tenants.token(tenant).access_token
    # Before the rotation the app's only secret is SECONDARY; the subscriber signs notices with it.
    subscription = client.ensure_subscription(pim.base_url, token, CLIENT_ID, stack.web_url, [SECONDARY])
    store.tenants.set_subscription(tenant, subscription)
    (subscriber,) = stack.platform.list_subscribers(CLIENT_ID)
    assert stack.platform.notification_webhook(subscriber["id"]) == (f"{stack.web_url}/events/notifications", SECONDARY)
    assert subscriber["contact"]["notification_channels"] == ["email", "webhook"]

    # The rotation: PRIMARY in front; the next ensure_subscription (app_activated) updates the subscriber.
    assert client.ensure_subscription(pim.base_url, token, CLIENT_ID, stack.web_url, [PRIMARY, SECONDARY]) == (
        subscription
    )
    assert stack.platform.notification_webhook(subscriber["id"]) == (f"{stack.web_url}/events/notifications", PRIMARY)
    assert (
        "notification_webhook_secret"
        not in client.list_subscribers(PimIdentity(pim.base_url, token, CLIENT_ID))[0].model_dump()
    )
    system_suspend(pim, subscription)
    assert notifications(pim) == [("subscription.suspended.system", [202])]
