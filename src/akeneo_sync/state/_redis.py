"""The one place where redis-py exceptions become `StateError` (the state store's boundary)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from redis.exceptions import RedisError

from akeneo_sync.errors import StateError

__all__ = ["translate_errors"]

P = ParamSpec("P")
R = TypeVar("R")


def translate_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap a state-store method so any Redis failure surfaces as a retryable `StateError`."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except RedisError as exc:
            raise StateError(f"state store: {func.__qualname__} failed: {type(exc).__name__}: {exc}") from exc

    return wrapper
