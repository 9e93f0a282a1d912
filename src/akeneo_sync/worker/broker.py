"""The Dramatiq broker: Redis in production, the same Redis broker on an in-process Redis in the demo.

Why the non-default Redis broker settings: a SIGKILLed worker's unacked messages come back only
when another worker runs the broker's *maintenance* pass after ``heartbeat_timeout``; with the
defaults (60 s, 0.1 % of commands) nothing had come back after 5 minutes on this machine
(measured with dramatiq 2.x). We lower the heartbeat timeout and raise the maintenance chance so
a killed pod's sync resumes within seconds; checkpoints make the redelivery harmless.
"""

from __future__ import annotations

from typing import Final

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import CurrentMessage, Middleware

__all__ = [
    "DEFAULT_QUEUE",
    "HEARTBEAT_TIMEOUT_S",
    "MAINTENANCE_CHANCE",
    "NAMESPACE",
    "build_broker",
    "install_broker",
]

NAMESPACE: Final = "dramatiq"
DEFAULT_QUEUE: Final = "default"
HEARTBEAT_TIMEOUT_S: Final = 15
# Per million dispatch calls. A pass runs only for the queue of the call that triggers it, and an
# idle consumer fetches about once a second: at 5 % the dead worker's messages waited ~20 s on
# average after the heartbeat timeout (a kill stalled a sync 56 s at worst over 20). Every call
# costs two ZRANGEBYSCOREs while no worker is dead (the ack-set KEYS runs once per dead worker),
# and bounds the wait at about a second.
MAINTENANCE_CHANCE: Final = 1_000_000
DEAD_MESSAGE_TTL_S: Final = 7 * 86_400


def build_broker(
    client: redis.Redis,
    *,
    middleware: list[Middleware] | None = None,
    heartbeat_timeout_s: float = HEARTBEAT_TIMEOUT_S,
    maintenance_chance: int = MAINTENANCE_CHANCE,
) -> RedisBroker:
    """A Redis broker on `client` with prompt recovery of killed workers' messages."""
    # dramatiq's RedisBroker.__init__ carries no annotations.
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        client=client,
        namespace=NAMESPACE,
        heartbeat_timeout=int(heartbeat_timeout_s * 1000),
        maintenance_chance=maintenance_chance,
        dead_message_ttl=DEAD_MESSAGE_TTL_S * 1000,
    )
    # Actors read their message's enqueue time (a redelivered sync already satisfied is skipped).
    broker.add_middleware(CurrentMessage())
    for extra in middleware or []:
        broker.add_middleware(extra)
    return broker


def install_broker(broker: RedisBroker) -> RedisBroker:
    """Make `broker` the global one; must happen before the actors module is imported."""
    dramatiq.set_broker(broker)
    return broker
