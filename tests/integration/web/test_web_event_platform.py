"""The Event Platform end to end: subscription at activation, signed deliveries, suspend and resume.

Three real servers on loopback sockets: the PIM emulator, the Event Platform emulator, and the
web app (so the PIM emulator can deliver to it). The enqueuer records; the clock is manual, so
batches are flushed explicitly rather than by waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from web_support import CLIENT_ID, PRIMARY, SECONDARY

from akeneo_sync.emulator.testing import EmulatorHandle
from akeneo_sync.eventplatform import EventPlatformClient, PimIdentity
from akeneo_sync.eventplatform.emulator import EventPlatformEmulator
from akeneo_sync.eventplatform.testing import running_asgi, running_event_platform
from akeneo_sync.state import StateStore
from akeneo_sync.tenancy import tenant_id_for
from akeneo_sync.web.batching import ProductBatcher
from akeneo_sync.web.keys import WebKeys
from akeneo_sync.web.notifications import SubscriptionState, SubscriptionStatuses
from akeneo_sync.web.testing import Enqueued, RecordingEnqueuer

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Stack:
    web_url: str
    platform_url: str
    platform: EventPlatformEmulator
    http: httpx.Client


@pytest.fixture
def stack(pim: EmulatorHandle, dev_app: FastAPI) -> Iterator[Stack]:
    with running_asgi(dev_app) as web_url, running_event_platform() as (platform_url, platform), \
            httpx.Client(timeout=10) as http:
        yield Stack(web_url, platform_url, platform, http)
    pim.admin.delete("/_emulator/event-subscriber")


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
    deliveries: list[dict[str, object]] = pim.admin.get("/_emulator/events", params={"wait_s": 10}).json()["deliveries"]
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
    pim.admin.patch(f"/_emulator/products/{created}",
                    json={"values": {}, "author": {"identifier": CLIENT_ID, "type": "api"}}).raise_for_status()
    pim.admin.delete(f"/_emulator/products/{created}").raise_for_status()
    wait_delivered(pim, 4)
    batcher.flush_all()
    assert enqueuer.calls == [
        Enqueued("app_activated", tenant),
        Enqueued("sync_products", tenant, ((created,),)),
        Enqueued("delete_products", tenant, ((created,),)),
    ]


def test_ensure_subscription_is_idempotent(
    stack: Stack, pim: EmulatorHandle, store: StateStore
) -> None:
    tenant = activate(stack, pim)
    first = subscribe(stack, store, tenant, pim)
    again = subscribe(stack, store, tenant, pim)
    assert first == again
    assert store.tenants.tenant_for_subscription(first) == tenant
    client = EventPlatformClient(stack.http, stack.platform_url)
    assert len(stack.platform.subscribers_of(pim.base_url, CLIENT_ID)) == 1
    token = store.tenants.token(tenant).access_token
    who = PimIdentity(pim.base_url, token, CLIENT_ID)
    (subscriber,) = client.list_subscribers(who)
    assert [s.id for s in client.list_subscriptions(who, subscriber.id)] == [first]


def test_a_suspended_subscription_delivers_nothing_and_its_resumption_requests_a_reconcile(
    stack: Stack, pim: EmulatorHandle, store: StateStore, enqueuer: RecordingEnqueuer
) -> None:
    tenant = activate(stack, pim)
    subscription = subscribe(stack, store, tenant, pim)
    statuses = SubscriptionStatuses(store.redis, WebKeys(store.keys.prefix), store.clock)
    stack.http.post(f"{stack.platform_url.removesuffix('/api/v1')}/_emulator/subscriptions/{subscription}"
                    "/system-suspend").raise_for_status()
    suspended = statuses.get(subscription)
    assert suspended is not None
    assert (suspended.state, suspended.by_system) == (SubscriptionState.SUSPENDED, True)
    pim.admin.post("/_emulator/products", json={"values": {}}).raise_for_status()
    assert pim.admin.get("/_emulator/events").json()["deliveries"] == []  # lost while suspended
    # The operator resumes it (`tenants reactivate` runs ensure_subscription): the lost events are reconciled.
    client = EventPlatformClient(stack.http, stack.platform_url)
    client.ensure_subscription(pim.base_url, store.tenants.token(tenant).access_token, CLIENT_ID, stack.web_url,
                               [PRIMARY, SECONDARY])
    resumed = statuses.get(subscription)
    assert resumed is not None
    assert resumed.state is SubscriptionState.ACTIVE
    assert enqueuer.of("reconcile_tenant") == [Enqueued("reconcile_tenant", tenant)]
    assert [n["notification_type"] for n in stack.platform.notifications] == [
        "subscription.suspended.system", "subscription.resumed",
    ]
    assert all(n["delivery_status"] == 202 for n in stack.platform.notifications)


def test_a_secret_rotation_moves_the_subscribers_notification_secret_to_the_new_primary(
    stack: Stack, pim: EmulatorHandle, store: StateStore
) -> None:
    tenant = activate(stack, pim)
    client = EventPlatformClient(stack.http, stack.platform_url)
    token = store.tenants.token(tenant).access_token
    # Before the rotation the app's only secret is SECONDARY; the subscriber signs notices with it.
    subscription = client.ensure_subscription(pim.base_url, token, CLIENT_ID, stack.web_url, [SECONDARY])
    store.tenants.set_subscription(tenant, subscription)
    (subscriber,) = stack.platform.subscribers_of(pim.base_url, CLIENT_ID)
    assert subscriber.body.contact.notification_webhook_secret == SECONDARY
    assert subscriber.body.contact.notification_channels == ["email", "webhook"]

    # The rotation: PRIMARY in front; the next ensure_subscription (app_activated) updates the subscriber.
    assert client.ensure_subscription(pim.base_url, token, CLIENT_ID, stack.web_url, [PRIMARY, SECONDARY]) == (
        subscription
    )
    assert subscriber.body.contact.notification_webhook_secret == PRIMARY
    assert "notification_webhook_secret" not in client.list_subscribers(PimIdentity(pim.base_url, token, CLIENT_ID))[
        0
    ].model_dump()
    stack.http.post(f"{stack.platform_url.removesuffix('/api/v1')}/_emulator/subscriptions/{subscription}"
                    "/system-suspend").raise_for_status()
    assert [(n["notification_type"], n["delivery_status"]) for n in stack.platform.notifications] == [
        ("subscription.suspended.system", 202)
    ]
