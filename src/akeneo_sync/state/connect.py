"""Redis clients with timeouts and keepalive: a half-open connection must fail, not hang.

redis-py's defaults wait forever: a Redis that failover moved, or a NAT/conntrack entry that
expired, leaves the TCP connection half-open, and every thread using it blocks in `recv` while
the pod's probes (which do not touch Redis) still pass. With these defaults a dead connection
raises within `SOCKET_TIMEOUT_S` (`StateError` at our boundary, retried by the callers), TCP
keepalive probes idle connections, and a pooled connection idle for `HEALTH_CHECK_INTERVAL_S` is
PINGed before reuse.

None of our calls block on the server (no BLPOP, no pub/sub), so a command taking longer than
the socket timeout is a fault. Each value can be overridden in `REDIS_URL`'s query string
(redis-py reads it: `redis://host:6379/0?socket_timeout=30&health_check_interval=10`).

`RedisClient` and `AsyncRedisClient` name the client types for the composition roots that pass a
client from here to the state store and the broker, so they need not import redis themselves.
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias

import redis
import redis.asyncio

from akeneo_sync.errors import ConfigError

__all__ = [
    "CLIENT_OPTIONS",
    "AsyncRedisClient",
    "RedisClient",
    "connect",
    "connect_async",
    "in_process_redis",
]

RedisClient: TypeAlias = redis.Redis
AsyncRedisClient: TypeAlias = redis.asyncio.Redis

SOCKET_TIMEOUT_S: Final = 10.0
SOCKET_CONNECT_TIMEOUT_S: Final = 5.0
HEALTH_CHECK_INTERVAL_S: Final = 30
CLIENT_OPTIONS: Final[dict[str, Any]] = {
    "socket_timeout": SOCKET_TIMEOUT_S,
    "socket_connect_timeout": SOCKET_CONNECT_TIMEOUT_S,
    "socket_keepalive": True,
    "health_check_interval": HEALTH_CHECK_INTERVAL_S,
}


def connect(url: str) -> RedisClient:
    """A client of `url` with the timeouts above (the URL's own options win)."""
    return redis.Redis.from_url(url, **CLIENT_OPTIONS)


def connect_async(url: str) -> AsyncRedisClient:
    """The asyncio client of `url`, same options."""
    return redis.asyncio.Redis.from_url(url, **CLIENT_OPTIONS)


def in_process_redis() -> RedisClient:
    """The demo's Redis: fakeredis, an extra (`akeneo-sync[demo]`) the production image leaves out."""
    try:
        import fakeredis
    except ImportError as exc:
        raise ConfigError(
            "akeneo-sync demo needs an in-process Redis: pip install 'akeneo-sync[demo]'"
            " (the container image installs only what web, worker and scheduler need)"
        ) from exc
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())
