"""Event Platform subscription statuses, as the platform's status webhook last reported them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import redis

from akeneo_sync.clock import Clock
from akeneo_sync.state._codec import decode_hash
from akeneo_sync.state._redis import translate_errors
from akeneo_sync.state.keys import Keys

__all__ = ["SubscriptionState", "SubscriptionStatus", "SubscriptionStatuses"]


class SubscriptionState(StrEnum):
    """A subscription's status as last notified."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class SubscriptionStatus:
    """What the last notification said about a subscription."""

    subscription_id: str
    state: SubscriptionState
    by_system: bool
    reason: str
    changed_at: float


class SubscriptionStatuses:
    """Subscription statuses in Redis (one HASH each)."""

    def __init__(self, client: redis.Redis, keys: Keys, clock: Clock) -> None:
        self._redis = client
        self._keys = keys
        self._clock = clock

    @translate_errors
    def get(self, subscription_id: str) -> SubscriptionStatus | None:
        """The recorded status, or None when no notification arrived yet."""
        fields = decode_hash(self._redis.hgetall(self._keys.subscription_status(subscription_id)))
        if not fields:
            return None
        return SubscriptionStatus(
            subscription_id=subscription_id,
            state=SubscriptionState(fields.get("state", SubscriptionState.ACTIVE.value)),
            by_system=fields.get("by_system") == "1",
            reason=fields.get("reason", ""),
            changed_at=float(fields.get("changed_at", "0")),
        )

    @translate_errors
    def record(self, subscription_id: str, state: SubscriptionState, *, by_system: bool, reason: str) -> None:
        """Store a status change."""
        self._redis.hset(
            self._keys.subscription_status(subscription_id),
            mapping={
                "state": state.value,
                "by_system": "1" if by_system else "0",
                "reason": reason[:1000],
                "changed_at": str(self._clock.now()),
            },
        )
