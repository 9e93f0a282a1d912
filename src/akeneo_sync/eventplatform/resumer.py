"""Resume subscriptions the Event Platform suspended, once a quiet period has passed.

The platform suspends a subscription when our endpoint failed too often (docs/akeneo.md); events
published meanwhile are lost. After `quiet_s` the cause has likely passed (a deploy, an outage), so the
scheduler calls `resume_quiet_subscriptions` each tick: it resumes each such subscription and
enqueues a reconcile of its tenant to recover the lost changes. Resuming too eagerly may make
Akeneo revoke the subscription, hence the quiet period rather than an immediate retry.
"""

from __future__ import annotations

from akeneo_sync.clock import Clock
from akeneo_sync.errors import AkeneoSyncError
from akeneo_sync.eventplatform.client import EventPlatformClient, PimIdentity
from akeneo_sync.logging import get_logger
from akeneo_sync.state import StateStore
from akeneo_sync.web.notifications import SubscriptionState, SubscriptionStatuses
from akeneo_sync.web.ports import Enqueuer

__all__ = ["resume_quiet_subscriptions"]

_log = get_logger(__name__)


def resume_quiet_subscriptions(
    *,
    statuses: SubscriptionStatuses,
    store: StateStore,
    platform: EventPlatformClient,
    enqueuer: Enqueuer,
    client_id: str,
    clock: Clock,
    quiet_s: float = 900.0,
) -> list[str]:
    """Resume every subscription system-suspended more than `quiet_s` ago; returns their ids."""
    resumed: list[str] = []
    for subscription_id in statuses.suspended_before(clock.now() - quiet_s):
        tenant_id = store.tenants.tenant_for_subscription(subscription_id)
        tenant = store.tenants.get(tenant_id) if tenant_id else None
        if tenant is None or not tenant.is_active:
            # Nobody to resume it for: stop considering it.
            statuses.record(subscription_id, SubscriptionState.SUSPENDED, by_system=False, reason="no active tenant")
            continue
        who = PimIdentity(tenant.pim_url, store.tenants.token(tenant.id).access_token, client_id)
        try:
            subscriber_id = _subscriber_of(platform, who, subscription_id)
        except AkeneoSyncError as exc:
            _log.warning("event_subscription_resume_failed", subscription=subscription_id, error=type(exc).__name__)
            continue
        if subscriber_id is None:
            statuses.record(subscription_id, SubscriptionState.REVOKED, by_system=False, reason="gone")
            continue
        # Marked active *before* resuming: the platform's "resumed" notification may arrive while
        # the call is in flight, and must then not enqueue a second reconcile.
        statuses.record(subscription_id, SubscriptionState.ACTIVE, by_system=False, reason="resumed after quiet")
        try:
            platform.resume(who, subscriber_id, subscription_id)
        except AkeneoSyncError as exc:
            # Back in the index with a fresh time: the next attempt waits another quiet period.
            statuses.record(subscription_id, SubscriptionState.SUSPENDED, by_system=True,
                            reason=f"resume failed: {type(exc).__name__}")
            _log.warning("event_subscription_resume_failed", subscription=subscription_id, error=type(exc).__name__)
            continue
        enqueuer.reconcile_tenant(tenant.id)
        _log.info("event_subscription_resumed", subscription=subscription_id, tenant=tenant.id)
        resumed.append(subscription_id)
    return resumed


def _subscriber_of(platform: EventPlatformClient, who: PimIdentity, subscription_id: str) -> str | None:
    for subscriber in platform.list_subscribers(who):
        if any(s.id == subscription_id for s in platform.list_subscriptions(who, subscriber.id)):
            return subscriber.id
    return None
