"""Reading the Redis broker's queues: depth per queue (for metrics, KEDA and the CLI) and the
messages dramatiq dead-lettered (for `akeneo-sync dead-letters`).

Key layout (dramatiq 2.x, `brokers/redis/dispatch.lua`): ``ns:<q>`` list of ready ids,
``ns:<q>.DQ`` delayed, ``ns:<q>.XQ`` a zset of dead-lettered ids with their bodies in
``ns:<q>.XQ.msgs``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import redis

from akeneo_sync.state import redis_failures
from akeneo_sync.worker.broker import NAMESPACE

__all__ = ["DeadMessage", "dead_messages", "queue_depths", "remove_dead_message"]


@dataclass(frozen=True, slots=True)
class DeadMessage:
    """A message dramatiq gave up on after its retries."""

    queue: str
    message_id: str
    actor: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    retries: int
    failed_at: float
    error: str


def queue_depths(client: redis.Redis, queues: Iterable[str], namespace: str = NAMESPACE) -> dict[str, int]:
    """Messages waiting per queue: `q` ready, `q.DQ` delayed, `q.XQ` dead-lettered."""
    depths: dict[str, int] = {}
    with redis_failures("read queue depths"):
        for queue in sorted(set(queues)):
            depths[queue] = int(client.llen(f"{namespace}:{queue}"))
            depths[f"{queue}.DQ"] = int(client.llen(f"{namespace}:{queue}.DQ"))
            depths[f"{queue}.XQ"] = int(client.zcard(f"{namespace}:{queue}.XQ"))
    return depths


def _last_line(traceback: object) -> str:
    if not isinstance(traceback, str) or not traceback.strip():
        return ""
    return traceback.strip().splitlines()[-1][:300]


def dead_messages(client: redis.Redis, queue: str, namespace: str = NAMESPACE) -> list[DeadMessage]:
    """Dead-lettered messages of `queue`, oldest first."""
    with redis_failures("read dead-lettered messages"):
        # Typed by hand: redis-py's stubs return a union for every reply shape.
        scored = cast(list[tuple[bytes, float]], client.zrange(f"{namespace}:{queue}.XQ", 0, -1, withscores=True))
        bodies = cast(dict[bytes, bytes], client.hgetall(f"{namespace}:{queue}.XQ.msgs"))
    found: list[DeadMessage] = []
    for raw_id, score in scored:
        message_id = raw_id.decode()
        raw = bodies.get(raw_id)
        if raw is None:
            continue
        body = json.loads(raw)
        options = body.get("options", {})
        found.append(
            DeadMessage(
                queue=queue,
                message_id=message_id,
                actor=str(body.get("actor_name", "")),
                args=tuple(body.get("args", ())),
                kwargs=dict(body.get("kwargs", {})),
                retries=int(options.get("retries", 0)),
                failed_at=float(score) / 1000,
                error=_last_line(options.get("traceback")),
            )
        )
    return found


def remove_dead_message(client: redis.Redis, queue: str, message_id: str, namespace: str = NAMESPACE) -> None:
    """Forget a dead-lettered message (after it was replayed)."""
    with redis_failures(f"remove dead-lettered message {message_id}"):
        pipe = client.pipeline()
        pipe.zrem(f"{namespace}:{queue}.XQ", message_id)
        pipe.hdel(f"{namespace}:{queue}.XQ.msgs", message_id)
        pipe.execute()
