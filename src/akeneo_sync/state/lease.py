"""A Redis lease: one holder at a time, kept alive by renewal, lost by anyone who stops renewing.

The one owner-checked lease of the program: scheduler leadership, tenant activation and the web
side's per-batch flush lock. The owner check and the renewal are one Lua script each, so a holder
whose lease already expired (and was taken by another) can neither renew nor release it.
"""

from __future__ import annotations

from typing import Final

import redis

from akeneo_sync.state._redis import translate_errors

__all__ = ["RedisLease"]

_RENEW: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLease:
    """A named lease held by `holder` for `ttl_s` seconds at a time."""

    def __init__(self, client: redis.Redis, key: str, holder: str, ttl_s: float) -> None:
        self._client = client
        self.key = key
        self.holder = holder
        self._ttl_ms = int(ttl_s * 1000)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @translate_errors
    def acquire(self) -> bool:
        """Take the lease if free; False when anyone (us included) holds it."""
        return bool(self._client.set(self.key, self.holder, nx=True, px=self._ttl_ms))

    @translate_errors
    def acquire_or_renew(self) -> bool:
        """Take the lease if free, renew it if ours; False when someone else holds it."""
        if self.acquire():
            return True
        return bool(self._renew(keys=[self.key], args=[self.holder, self._ttl_ms]))

    @translate_errors
    def release(self) -> bool:
        """Give the lease up if we hold it."""
        return bool(self._release(keys=[self.key], args=[self.holder]))

    @translate_errors
    def current_holder(self) -> str | None:
        """Who holds the lease now, if anyone."""
        value = self._client.get(self.key)
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)
