"""OAuth `state` values issued by `/activate`, each consumed once by `/callback`."""

from __future__ import annotations

import redis

from akeneo_sync.state._codec import text
from akeneo_sync.state._redis import translate_errors
from akeneo_sync.state.keys import Keys

__all__ = ["OAuthStates"]


class OAuthStates:
    """Single-use OAuth states: stored with a TTL, read and deleted in one GETDEL."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._redis = client
        self._keys = keys

    @translate_errors
    def issue(self, state: str, record: str, ttl_s: int) -> None:
        """Store `record` under a new `state` for `ttl_s` seconds (a state is never overwritten)."""
        self._redis.set(self._keys.oauth_state(state), record, ex=ttl_s, nx=True)

    @translate_errors
    def consume(self, state: str) -> str | None:
        """The record of `state`, once; None when unknown, already used or expired."""
        raw = self._redis.getdel(self._keys.oauth_state(state))
        return None if raw is None else text(raw)
