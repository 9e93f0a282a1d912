"""Per-catalog run locks: one run per catalog, with a TTL, a heartbeat and a "run again" flag.

The lock is a HASH (owner, expires_at) whose expiry is judged against the injected clock, so
tests can expire it with a `ManualClock`; a real Redis TTL (twice the lock TTL) only garbage-
collects keys of vanished holders. A trigger that finds the lock held adds its mode to the
catalog's rerun set instead of being dropped, atomically with the check, so no trigger is lost
between a failed acquire and the holder's release. Every change is owner-checked in Lua, so a
holder whose lock expired and was taken over can never release or extend the new holder's lock.
"""

from __future__ import annotations

from typing import Final

import redis

from akeneo_sync.clock import Clock
from akeneo_sync.state._redis import translate_errors
from akeneo_sync.state.keys import Keys

__all__ = ["LockStore"]

# KEYS: lock, rerun; ARGV: owner, now, expires_at, mode, real_ttl_ms. 1 = acquired, 0 = flagged.
_ACQUIRE_OR_FLAG: Final = """
local cur = redis.call('HMGET', KEYS[1], 'owner', 'expires_at')
if cur[1] and cur[1] ~= ARGV[1] and tonumber(cur[2]) > tonumber(ARGV[2]) then
  if ARGV[4] ~= '' then redis.call('SADD', KEYS[2], ARGV[4]) end
  return 0
end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'expires_at', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""

# KEYS: lock; ARGV: owner, expires_at, real_ttl_ms. 1 = extended, 0 = lost.
_EXTEND: Final = """
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'expires_at', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: lock, rerun; ARGV: owner, expires_at, real_ttl_ms, honour_rerun ('1'/'0').
# Returns the requested rerun modes (lock kept, extended) or an empty list (lock released).
_RELEASE: Final = """
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return {} end
if ARGV[4] == '1' then
  local modes = redis.call('SMEMBERS', KEYS[2])
  if #modes > 0 then
    redis.call('DEL', KEYS[2])
    redis.call('HSET', KEYS[1], 'expires_at', ARGV[2])
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return modes
  end
end
redis.call('DEL', KEYS[1])
return {}
"""


class LockStore:
    """Acquires, extends and releases catalog locks."""

    def __init__(self, client: redis.Redis, keys: Keys, clock: Clock) -> None:
        self._redis = client
        self._keys = keys
        self._clock = clock
        self._acquire = client.register_script(_ACQUIRE_OR_FLAG)
        self._extend = client.register_script(_EXTEND)
        self._release = client.register_script(_RELEASE)

    @translate_errors
    def acquire(self, tenant: str, catalog: str, owner: str, *, ttl_s: float, rerun_mode: str = "") -> bool:
        """Take the lock; when someone else holds it, record `rerun_mode` (if any) and return False."""
        now = self._clock.now()
        result = self._acquire(
            keys=[self._keys.lock(tenant, catalog), self._keys.rerun(tenant, catalog)],
            args=[owner, repr(now), repr(now + ttl_s), rerun_mode, _real_ttl_ms(ttl_s)],
        )
        return bool(result)

    @translate_errors
    def heartbeat(self, tenant: str, catalog: str, owner: str, *, ttl_s: float) -> bool:
        """Extend the lock by `ttl_s` from now; False when `owner` no longer holds it."""
        expires_at = self._clock.now() + ttl_s
        result = self._extend(
            keys=[self._keys.lock(tenant, catalog)], args=[owner, repr(expires_at), _real_ttl_ms(ttl_s)]
        )
        return bool(result)

    @translate_errors
    def release(self, tenant: str, catalog: str, owner: str, *, ttl_s: float, honour_rerun: bool = True) -> list[str]:
        """Release the lock, unless reruns were requested while it was held.

        Returns the requested rerun modes, sorted; when there are any, the lock is *kept* (extended
        by `ttl_s`) and the caller must run again and release again. With `honour_rerun=False`
        (a failed run) the lock is released and the requests stay for the next holder.
        """
        expires_at = self._clock.now() + ttl_s
        result = self._release(
            keys=[self._keys.lock(tenant, catalog), self._keys.rerun(tenant, catalog)],
            args=[owner, repr(expires_at), _real_ttl_ms(ttl_s), "1" if honour_rerun else "0"],
        )
        return sorted(m.decode() if isinstance(m, bytes) else str(m) for m in result)

    @translate_errors
    def arm_watchdog(self, tenant: str, catalog: str, *, ttl_s: float) -> bool:
        """Claim the catalog's one pending-watchdog slot for `ttl_s`; False when one is armed already."""
        return bool(self._redis.set(self._keys.watchdog(tenant, catalog), "1", nx=True, px=int(ttl_s * 1000)))

    @translate_errors
    def disarm_watchdog(self, tenant: str, catalog: str) -> None:
        """Free the watchdog slot (the watchdog is running now)."""
        self._redis.delete(self._keys.watchdog(tenant, catalog))

    @translate_errors
    def holder(self, tenant: str, catalog: str) -> str | None:
        """The current owner, or None when the lock is free or expired."""
        owner, expires_at = self._redis.hmget(self._keys.lock(tenant, catalog), ["owner", "expires_at"])
        if owner is None or expires_at is None or float(expires_at) <= self._clock.now():
            return None
        return owner.decode() if isinstance(owner, bytes) else owner

    @translate_errors
    def expires_in(self, tenant: str, catalog: str) -> float | None:
        """Seconds until the current holder's lock expires unless renewed; None when it is free."""
        owner, expires_at = self._redis.hmget(self._keys.lock(tenant, catalog), ["owner", "expires_at"])
        if owner is None or expires_at is None:
            return None
        left = float(expires_at) - self._clock.now()
        return left if left > 0 else None

    @translate_errors
    def forget_reruns(self, tenant: str, catalog: str, modes: list[str]) -> None:
        """Drop rerun requests a run about to start will honour."""
        if modes:
            self._redis.srem(self._keys.rerun(tenant, catalog), *modes)

    @translate_errors
    def rerun_requested(self, tenant: str, catalog: str) -> list[str]:
        """The rerun modes recorded so far (for status pages and tests)."""
        members = self._redis.smembers(self._keys.rerun(tenant, catalog))
        return sorted(m.decode() if isinstance(m, bytes) else m for m in members)


def _real_ttl_ms(ttl_s: float) -> int:
    # Twice the lock TTL: long enough never to cut a live holder short, short enough that a key
    # left by a SIGKILLed worker disappears on its own.
    return max(1, int(ttl_s * 2000))
