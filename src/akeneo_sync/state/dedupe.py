"""Event de-duplication: the Event Platform may deliver an event twice; the first one wins."""

from __future__ import annotations

import redis

from akeneo_sync.state._redis import translate_errors
from akeneo_sync.state.keys import Keys

__all__ = ["EventDedupe"]


class EventDedupe:
    """Remembers event ids for a while (`SET NX EX`)."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._redis = client
        self._keys = keys

    @translate_errors
    def first_seen(self, event_id: str, *, ttl_s: int = 86400) -> bool:
        """True the first time an id is seen within `ttl_s` seconds (Redis time), False after."""
        return bool(self._redis.set(self._keys.dedupe(event_id), b"1", nx=True, ex=ttl_s))

    @translate_errors
    def forget(self, event_id: str) -> None:
        """Let the id be processed again (its handling failed before it was enqueued)."""
        self._redis.delete(self._keys.dedupe(event_id))
