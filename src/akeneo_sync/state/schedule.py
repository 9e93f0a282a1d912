"""The scheduler's state: its leader lease and the next due time of every periodic job."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import redis

from akeneo_sync.state._redis import translate_errors
from akeneo_sync.state.keys import DEFAULT_PREFIX, Keys
from akeneo_sync.state.lease import RedisLease

__all__ = ["ScheduleStore"]


class ScheduleStore:
    """Due times (one HASH, read and written once per tick whatever the fleet size) and the lease."""

    def __init__(self, client: redis.Redis, keys: Keys | None = None) -> None:
        self._redis = client
        self._keys = keys or Keys(DEFAULT_PREFIX)

    def leader_lease(self, instance_id: str, ttl_s: float) -> RedisLease:
        """The lease whose holder is the one scheduler that enqueues."""
        return RedisLease(self._redis, self._keys.scheduler_leader(), instance_id, ttl_s)

    @translate_errors
    def due(self, jobs: Sequence[str]) -> list[float | None]:
        """When each job is next due (None: never scheduled yet)."""
        if not jobs:
            return []
        stored = self._redis.hmget(self._keys.scheduler_due(), list(jobs))
        return [None if raw is None else float(raw) for raw in stored]

    @translate_errors
    def set_due(self, due: Mapping[str, float]) -> None:
        """Record the next due time of these jobs."""
        if due:
            # Keys typed Any: redis-py's stubs want Mapping over a union key type, which is invariant.
            mapping: dict[Any, str] = {job: repr(at) for job, at in due.items()}
            self._redis.hset(self._keys.scheduler_due(), mapping=mapping)
