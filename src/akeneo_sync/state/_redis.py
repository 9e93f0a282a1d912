"""The one place where redis-py exceptions become `StateError` (the state store's boundary).

Every Redis call of the program runs under `translate_errors` (a store method, sync or async) or
`redis_failures` (a block: a script call, a broker's enqueue), so callers outside `state/` catch
`StateError` and never import redis.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar, cast

from redis.exceptions import RedisError

from akeneo_sync.errors import StateError

__all__ = ["redis_failures", "translate_errors"]

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def redis_failures(what: str, *, tenant: str | None = None) -> Iterator[None]:
    """Re-raise a Redis failure inside the block as a retryable `StateError` naming `what`."""
    try:
        yield
    except RedisError as exc:
        raise StateError(f"state store: {what} failed: {type(exc).__name__}: {exc}", tenant=tenant) from exc


def translate_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap a state-store method (or coroutine method) so any Redis failure surfaces as `StateError`."""
    if inspect.iscoroutinefunction(func):
        coroutine = cast(Callable[P, Awaitable[object]], func)

        @functools.wraps(func)
        async def awaiting(*args: P.args, **kwargs: P.kwargs) -> object:
            with redis_failures(func.__qualname__):
                return await coroutine(*args, **kwargs)

        return cast(Callable[P, R], awaiting)

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with redis_failures(func.__qualname__):
            return func(*args, **kwargs)

    return wrapper
