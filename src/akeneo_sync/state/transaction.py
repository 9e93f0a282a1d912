"""`Transaction`: the unit of work the stores' `stage_*` methods queue writes on, applied at once.

A MULTI/EXEC pipeline underneath: a crash or a Redis failure leaves all of a transaction's writes
or none. Callers outside the state store see only this type, never redis-py's `Pipeline`.
"""

from __future__ import annotations

from typing import Any

import redis
from redis.client import Pipeline

from akeneo_sync.state._redis import translate_errors

__all__ = ["Transaction"]


class Transaction:
    """Writes staged by the stores, committed together; a transaction is committed at most once."""

    __slots__ = ("pipe",)

    def __init__(self, client: redis.Redis) -> None:
        # The stores' `stage_*` methods queue their commands here (inside state/ only).
        self.pipe: Pipeline = client.pipeline(transaction=True)

    def __len__(self) -> int:
        """How many commands are staged (one per write, or per script however many items it carries)."""
        return len(self.pipe)

    @translate_errors
    def commit(self) -> list[Any]:
        """Apply every staged write in one MULTI/EXEC; the replies, in staging order."""
        return self.pipe.execute()
