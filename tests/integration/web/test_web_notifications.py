"""`POST /events/notifications`: subscription status webhooks."""

from __future__ import annotations

from typing import Any

import pytest
from web_support import PRIMARY, SECONDARY, SUBSCRIPTION, Post

from akeneo_sync.clock import ManualClock
from akeneo_sync.state import StateStore
from akeneo_sync.state.subscriptions import SubscriptionState, SubscriptionStatuses
from akeneo_sync.web.testing import Enqueued, RecordingEnqueuer

pytestmark = pytest.mark.integration
PATH = "/events/notifications"


def notification(kind: str, subscription: str = SUBSCRIPTION) -> dict[str, Any]:
    return {
        "notification_type": kind,
        "timestamp": "2024-10-14T13:01:21Z",
        "subscription_id": subscription,
        "subscriber_id": "subscriber-1",
        "destination": "https://app.example.com/events",
        "events": ["com.akeneo.pim.v1.product.updated"],
        "reason": "success rate below 90%",
        "subject": "https://pim.example.com",
    }


@pytest.fixture
def statuses(store: StateStore, clock: ManualClock) -> SubscriptionStatuses:
    return SubscriptionStatuses(store.redis, store.keys, clock)


def test_a_system_suspension_is_recorded(
    tenant: str, post_event: Post, statuses: SubscriptionStatuses, clock: ManualClock, enqueuer: RecordingEnqueuer
) -> None:
    suspended_at = clock.now()
    response = post_event(notification("subscription.suspended.system"), path=PATH)
    assert response.status_code == 202
    assert response.json() == {"subscription_id": SUBSCRIPTION, "state": "suspended", "reconcile_enqueued": False}
    status = statuses.get(SUBSCRIPTION)
    assert status is not None
    assert (status.state, status.by_system, status.changed_at) == (SubscriptionState.SUSPENDED, True, suspended_at)
    assert enqueuer.calls == []


def test_resuming_a_suspended_subscription_enqueues_a_reconcile(
    tenant: str, post_event: Post, statuses: SubscriptionStatuses, enqueuer: RecordingEnqueuer
) -> None:
    post_event(notification("subscription.suspended.system"), path=PATH)
    response = post_event(notification("subscription.resumed"), path=PATH)
    assert response.json()["reconcile_enqueued"] is True
    assert enqueuer.calls == [Enqueued("reconcile_tenant", tenant)]
    resumed = statuses.get(SUBSCRIPTION)
    assert resumed is not None
    assert resumed.state is SubscriptionState.ACTIVE
    # A second "resumed" for an already active subscription lost nothing: no second reconcile.
    post_event(notification("subscription.resumed"), path=PATH)
    assert len(enqueuer.calls) == 1


def test_a_user_suspension_is_recorded_as_not_by_the_system(
    tenant: str, post_event: Post, statuses: SubscriptionStatuses
) -> None:
    post_event(notification("subscription.suspended.user"), path=PATH)
    status = statuses.get(SUBSCRIPTION)
    assert status is not None
    assert (status.state, status.by_system) == (SubscriptionState.SUSPENDED, False)


def test_a_revocation_is_recorded(tenant: str, post_event: Post, statuses: SubscriptionStatuses) -> None:
    assert post_event(notification("subscription.revoked"), path=PATH).json()["state"] == "revoked"
    status = statuses.get(SUBSCRIPTION)
    assert status is not None
    assert status.state is SubscriptionState.REVOKED


def test_notifications_are_verified_with_either_secret_so_a_rotation_loses_none(
    tenant: str, post_event: Post, statuses: SubscriptionStatuses
) -> None:
    assert post_event(notification("subscription.revoked"), path=PATH, secret="forged").status_code == 401
    assert statuses.get(SUBSCRIPTION) is None
    # Mid-rotation the subscriber still holds the old secret, now our secondary.
    assert post_event(notification("subscription.suspended.system"), path=PATH, secret=SECONDARY).status_code == 202
    assert post_event(notification("subscription.revoked"), path=PATH, secret=PRIMARY).status_code == 202


def test_an_unknown_notification_type_is_a_400(tenant: str, post_event: Post) -> None:
    response = post_event(notification("subscription.exploded"), path=PATH)
    assert response.status_code == 400
    assert "notification_type" in response.json()["detail"]


def test_a_resume_for_an_unknown_subscription_is_recorded_without_a_reconcile(
    tenant: str, post_event: Post, enqueuer: RecordingEnqueuer
) -> None:
    response = post_event(notification("subscription.resumed", subscription="sub-unknown"), path=PATH)
    assert response.status_code == 202
    assert enqueuer.calls == []
