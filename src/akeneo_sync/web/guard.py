"""Guards for the unauthenticated routes: bounded name lookups and per-client rate limits.

`/activate` and `/callback` answer anyone. Each resolves an attacker-chosen host name, and a
slow DNS answer used to hold a thread of the pool the probes and the API share: enough slow
requests at once and `/healthz` missed its deadline, the pod restarted, and the Event Platform
counted failures. Lookups now run on a few threads of their own, admit a bounded number of
requests (more get "busy" at once) and give up after a deadline; each client also has a budget
of requests per minute.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from akeneo_sync.clock import Clock
from akeneo_sync.web.ports import Resolver
from akeneo_sync.web.urlcheck import PimUrlError, PimUrlPolicy, validate_pim_url

__all__ = ["LookupsBusyError", "PimUrlChecker", "RateLimiter"]

# Clients remembered by a rate limiter; the oldest is forgotten past this (a bound on memory).
_MAX_CLIENTS: Final = 50_000


class LookupsBusyError(Exception):
    """Every lookup slot is taken: the caller answers "busy, retry later" without waiting."""


class PimUrlChecker:
    """Runs `validate_pim_url` (it resolves the host) on `workers` threads, at most `max_pending` at once."""

    def __init__(
        self,
        policy: PimUrlPolicy,
        resolver: Resolver,
        *,
        workers: int = 4,
        max_pending: int = 16,
        timeout_s: float = 2.0,
    ) -> None:
        self._policy = policy
        self._resolver = resolver
        self._timeout_s = timeout_s
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pim-url-lookup")
        # Released when the lookup itself ends, not when the request gives up on it: a lookup
        # the resolver never answers keeps its slot, so stuck lookups cannot pile up unbounded.
        self._slots = threading.BoundedSemaphore(max_pending)

    async def check(self, raw: str) -> str:
        """The validated PIM URL; `PimUrlError` when refused or too slow, `LookupsBusyError` when full."""
        if not self._slots.acquire(blocking=False):
            raise LookupsBusyError
        try:
            future = self._executor.submit(validate_pim_url, raw, self._policy, self._resolver)
        except RuntimeError:  # shut down
            self._slots.release()
            raise LookupsBusyError from None
        future.add_done_callback(lambda _done: self._slots.release())
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self._timeout_s)
        except TimeoutError:
            raise PimUrlError("pim_url host did not resolve in time") from None

    def check_blocking(self, raw: str) -> str:
        """`check` for a request thread: it waits at most the deadline, never for a queue."""
        if not self._slots.acquire(blocking=False):
            raise LookupsBusyError
        try:
            future = self._executor.submit(validate_pim_url, raw, self._policy, self._resolver)
        except RuntimeError:
            self._slots.release()
            raise LookupsBusyError from None
        future.add_done_callback(lambda _done: self._slots.release())
        try:
            return future.result(timeout=self._timeout_s)
        except TimeoutError:
            raise PimUrlError("pim_url host did not resolve in time") from None

    def close(self) -> None:
        """Stop taking lookups (at shutdown); running ones finish on their own."""
        self._executor.shutdown(wait=False, cancel_futures=True)


class RateLimiter:
    """A token bucket per client key: `per_minute` requests a minute, bursts up to `burst`."""

    def __init__(self, clock: Clock, *, per_minute: float, burst: int) -> None:
        self._clock = clock
        self._rate_s = per_minute / 60.0
        self._burst = float(burst)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        """Take one token from `client`'s bucket; False when it is empty."""
        now = self._clock.monotonic()
        with self._lock:
            tokens, at = self._buckets.pop(client, (self._burst, now))
            tokens = min(self._burst, tokens + (now - at) * self._rate_s)
            allowed = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            if len(self._buckets) > _MAX_CLIENTS:
                self._buckets.popitem(last=False)
            return allowed

    def retry_after_s(self) -> int:
        """Seconds until an empty bucket holds one token again."""
        return max(1, round(1.0 / self._rate_s)) if self._rate_s > 0 else 60
