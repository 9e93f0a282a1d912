"""The fleet-wide fair-use limiter's state: leases per connection and GCRA per PIM, in Redis.

The algorithm and its waiting are the PIM client's (`akeneo/ratelimit.py`, which documents
them); it reaches this module through its `FairUseSlots` port, wired by the worker's runtime, so
the client package never imports Redis. One Lua script decides a slot atomically:

* **Concurrency**: a ZSET of leases per connection, member = holder id, score = expiry. Expired
  leases are dropped on every call, so a SIGKILLed holder's slot frees itself.
* **Rate**: GCRA per PIM, the theoretical arrival time in a STRING with a TTL.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

import redis

from akeneo_sync.state._codec import text
from akeneo_sync.state._redis import translate_errors
from akeneo_sync.state.keys import Keys

__all__ = ["RedisFairUseSlots"]

# KEYS[1] leases of one connection (ZSET holder -> expiry); KEYS[2] GCRA state of one PIM.
# ARGV: now, holder, lease_ttl_s, max_concurrent, emission_interval_s, burst, poll_s, epsilon_s.
# Returns {"ok", "0"} or {"concurrency" | "rate", seconds to wait}. Numbers travel as strings
# because Redis truncates Lua numbers to integers on the way out.
_ACQUIRE_LUA: Final = """
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[3])
local interval = tonumber(ARGV[5])
local epsilon = tonumber(ARGV[8])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now + epsilon)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local wait = math.min(tonumber(oldest[2]) - now, tonumber(ARGV[7]))
  return {'concurrency', string.format('%.6f', wait)}
end
local tat = tonumber(redis.call('GET', KEYS[2]) or now)
if tat < now then tat = now end
local allowed_at = tat - (tonumber(ARGV[6]) - 1) * interval
if allowed_at > now + epsilon then
  return {'rate', string.format('%.6f', allowed_at - now)}
end
local next_tat = tat + interval
redis.call('SET', KEYS[2], string.format('%.6f', next_tat), 'PX', math.ceil((next_tat - now) * 1000) + 1000)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
redis.call('PEXPIRE', KEYS[1], math.ceil(ttl * 1000) + 1000)
return {'ok', '0'}
"""


class RedisFairUseSlots:
    """The fair-use leases of one connection to a PIM, and that PIM's request rate."""

    def __init__(self, client: redis.Redis, keys: Keys, *, pim_url: str, connection: str) -> None:
        self._redis = client
        self._script = client.register_script(_ACQUIRE_LUA)
        self.leases_key = keys.fair_use_leases(pim_url, connection)
        self.rate_key = keys.fair_use_rate(pim_url)

    @translate_errors
    def try_acquire(
        self,
        holder: str,
        *,
        now: float,
        lease_ttl_s: float,
        max_concurrent: int,
        emission_interval_s: float,
        burst: int,
        poll_s: float,
        epsilon_s: float,
    ) -> tuple[str, float]:
        """Take a lease and a rate permit for `holder`: ("ok", 0), or what blocks it and how long to wait."""
        args: list[str | int] = [
            repr(now),
            holder,
            repr(lease_ttl_s),
            max_concurrent,
            repr(emission_interval_s),
            burst,
            repr(poll_s),
            repr(epsilon_s),
        ]
        verdict, wait = self._script(keys=[self.leases_key, self.rate_key], args=args)
        return text(verdict), float(text(wait))

    @translate_errors
    def renew(self, holders: Collection[str], *, expiry: float, lease_ttl_s: float) -> None:
        """Move the expiry of the leases still held by `holders` to `expiry`."""
        # XX: renew only leases still there (a released or expired one stays gone).
        self._redis.zadd(self.leases_key, dict.fromkeys(holders, expiry), xx=True)
        self._redis.pexpire(self.leases_key, int(lease_ttl_s * 1000) + 1000)

    @translate_errors
    def release(self, holder: str) -> None:
        """Give `holder`'s lease back."""
        self._redis.zrem(self.leases_key, holder)
