"""Fair use of the PIM: at most N concurrent calls per connection and R requests/s per PIM.

Akeneo asks for at most 4 concurrent calls per connection and 100 requests/s per PIM instance;
both limits hold for the whole fleet, so the production limiter (`FleetFairUseLimiter`) keeps its
state in Redis, behind the `FairUseSlots` port (implemented by `state/fairuse.py` and wired by the
worker's runtime: this package does not import Redis), and decides atomically in one Lua script:

* **Concurrency** is a sorted set of leases per connection: member = holder id, score = the
  lease's expiry. Expired leases are dropped on every call, so a holder that was SIGKILLed
  mid-request frees its slot `lease_ttl_s` later, on its own. The fleet limiter keeps that TTL
  short (10 s) and renews the leases its process holds from a background thread while their
  calls run: a full sync holds all 4 slots of its token, and a pod killed mid-sync must not stall
  the tenant for the length of the slowest possible call.
* **Rate** is GCRA (a token bucket without a refill timer) per PIM: from idle, up to `burst`
  requests pass at once; after that one request passes every `1 / max_per_s` seconds. Over any
  window of t seconds at most `burst + max_per_s * t` requests pass, so there is no 2x burst at a
  bucket edge as with fixed one-second windows.

The port answers "granted" or how long to wait; `acquire()` sleeps with the injected clock and
asks again. A wait for a concurrency slot is a short poll (a release is not announced).

Why not dramatiq's rate limiters (read in dramatiq 2.x's `rate_limits/`, run on real Redis):
`ConcurrentRateLimiter` keeps one counter whose TTL every other acquire/release renews, so on a
busy key a slot leaked by a SIGKILLed holder never comes back; its window limiters count whole
seconds (2x bursts at the boundary); and none of them waits, they only refuse, while a PIM call
should wait for its turn.

Time comes from the injected clock (passed to the script), so every pod must have an NTP-synced
clock; millisecond skew only shifts a lease's expiry by that much. `InProcessFairUseLimiter` is
the same algorithm under a `threading.Lock`, for the embedded demo where there is one process.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from typing import Final, Protocol

from akeneo_sync.clock import Clock
from akeneo_sync.errors import RateLimitedError, StateError
from akeneo_sync.logging import get_logger
from akeneo_sync.metrics import BACKOFF_SECONDS
from akeneo_sync.settings import Settings

__all__ = [
    "FLEET_LEASE_TTL_S",
    "FairUseLimiter",
    "FairUsePolicy",
    "FairUseSlots",
    "FleetFairUseLimiter",
    "InProcessFairUseLimiter",
    "build_limiter",
]

_log = get_logger(__name__)
# Epoch seconds near 1.7e9 have a resolution of ~0.24 us; without a tolerance a wait of a few ulps
# would be slept, come back still "too early", and spin.
_EPSILON_S: Final = 1e-5
# The fleet limiter's lease TTL: how long a SIGKILLed holder's slots stay taken.
FLEET_LEASE_TTL_S: Final = 10.0


@dataclass(frozen=True, slots=True)
class FairUsePolicy:
    """The limits and how waiting behaves (seconds throughout)."""

    max_concurrent: int = 4
    max_per_s: float = 100.0
    burst: int = 10
    lease_ttl_s: float = 60.0
    max_wait_s: float = 120.0
    poll_s: float = 0.02
    # Renew held leases this often (real time); None: a lease lives `lease_ttl_s`, renewed never.
    lease_renew_s: float | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> FairUsePolicy:
        """The policy from `MAX_CONCURRENCY_PER_TOKEN` / `MAX_REQUESTS_PER_S_PER_PIM`.

        A lease outlives the slowest call the client allows (its timeout, twice for the
        connect + read phases), so it expires only for a holder that is really gone.
        """
        limit = settings.max_requests_per_s_per_pim
        burst = max(1, limit // 10)
        return cls(
            max_concurrent=settings.max_concurrency_per_token,
            # GCRA passes up to burst + rate x t in any t seconds: with rate = limit - burst, no
            # sliding second ever holds more than `limit` (the PIM counts a sliding window).
            max_per_s=float(limit - burst if limit > burst else limit),
            burst=burst,
            lease_ttl_s=2 * settings.pim_timeout_s,
            max_wait_s=settings.pim_retry_deadline_s,
        )


class FairUseLimiter(Protocol):
    """Waits for a fair-use slot; the slot is held for the duration of the `with` block."""

    def acquire(self) -> AbstractContextManager[None]:
        """Block (with the injected clock) until one more call is allowed, then hold its slot."""
        ...


class FairUseSlots(Protocol):
    """The fleet-wide leases of one connection and the rate of its PIM (`state/fairuse.py`).

    Each method raises `StateError` when the store cannot be reached.
    """

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
        """Take a lease and a rate permit: ("ok", 0), or ("concurrency" | "rate", seconds to wait)."""
        ...

    def renew(self, holders: Collection[str], *, expiry: float, lease_ttl_s: float) -> None:
        """Move the expiry of the leases still held by `holders`."""
        ...

    def release(self, holder: str) -> None:
        """Give `holder`'s lease back."""
        ...


def _wait_until_granted(try_once: Callable[[], tuple[str, float]], clock: Clock, max_wait_s: float) -> None:
    started = clock.monotonic()
    while True:
        verdict, wait_s = try_once()
        if verdict == "ok":
            return
        wait_s = max(wait_s, 0.0)
        if clock.monotonic() - started + wait_s > max_wait_s:
            message = f"no fair-use slot within {max_wait_s:g}s (waiting on {verdict})"
            raise RateLimitedError(message, retry_after_s=wait_s)
        BACKOFF_SECONDS.labels(reason="fair_use").inc(wait_s)
        clock.sleep(wait_s)


class FleetFairUseLimiter:
    """The fleet-wide limiter: leases and GCRA state shared by every pod, decided by `slots`."""

    def __init__(self, slots: FairUseSlots, *, policy: FairUsePolicy, clock: Clock) -> None:
        self.slots = slots
        self._policy = policy
        self._clock = clock
        self._held: set[str] = set()
        self._held_lock = threading.Lock()
        self._renewer: threading.Thread | None = None

    @contextmanager
    def acquire(self) -> Iterator[None]:
        """Hold one lease and one rate permit for the duration of the block."""
        holder = uuid.uuid4().hex
        _wait_until_granted(lambda: self._try(holder), self._clock, self._policy.max_wait_s)
        self._hold(holder)
        try:
            yield
        finally:
            with self._held_lock:
                self._held.discard(holder)
            self._release(holder)

    def _hold(self, holder: str) -> None:
        if self._policy.lease_renew_s is None:
            return
        with self._held_lock:
            self._held.add(holder)
            # One thread per limiter, alive only while some call holds a lease.
            if self._renewer is None:
                self._renewer = threading.Thread(target=self._renew_leases, name="fair-use-leases", daemon=True)
                self._renewer.start()

    def _renew_leases(self) -> None:
        interval = self._policy.lease_renew_s or 1.0
        stop = threading.Event()
        while not stop.wait(interval):  # real time: leases must keep pace with the wall clock
            with self._held_lock:
                holders = list(self._held)
                if not holders:
                    self._renewer = None
                    return
            expiry = self._clock.now() + self._policy.lease_ttl_s
            try:
                self.slots.renew(holders, expiry=expiry, lease_ttl_s=self._policy.lease_ttl_s)
            except StateError:
                _log.warning("fair_use_lease_renewal_failed")

    def _try(self, holder: str) -> tuple[str, float]:
        policy = self._policy
        return self.slots.try_acquire(
            holder,
            now=self._clock.now(),
            lease_ttl_s=policy.lease_ttl_s,
            max_concurrent=policy.max_concurrent,
            emission_interval_s=1.0 / policy.max_per_s,
            burst=policy.burst,
            poll_s=policy.poll_s,
            epsilon_s=_EPSILON_S,
        )

    def _release(self, holder: str) -> None:
        try:
            self.slots.release(holder)
        except StateError:
            # The lease expires by itself; failing the finished call over it would be worse.
            _log.warning("fair_use_release_failed")


class InProcessFairUseLimiter:
    """The same leases + GCRA, in memory, for one process (the embedded demo)."""

    def __init__(self, *, policy: FairUsePolicy, clock: Clock) -> None:
        self._policy = policy
        self._clock = clock
        self._lock = threading.Lock()
        self._leases: dict[str, float] = {}
        self._tat = 0.0

    @contextmanager
    def acquire(self) -> Iterator[None]:
        """Hold one lease and one rate permit for the duration of the block."""
        holder = uuid.uuid4().hex
        _wait_until_granted(lambda: self._try(holder), self._clock, self._policy.max_wait_s)
        try:
            yield
        finally:
            with self._lock:
                self._leases.pop(holder, None)

    def _try(self, holder: str) -> tuple[str, float]:
        policy = self._policy
        now = self._clock.now()
        with self._lock:
            self._leases = {h: expiry for h, expiry in self._leases.items() if expiry > now + _EPSILON_S}
            if len(self._leases) >= policy.max_concurrent:
                return "concurrency", min(min(self._leases.values()) - now, policy.poll_s)
            interval = 1.0 / policy.max_per_s
            tat = max(self._tat, now)
            allowed_at = tat - (policy.burst - 1) * interval
            if allowed_at > now + _EPSILON_S:
                return "rate", allowed_at - now
            self._tat = tat + interval
            self._leases[holder] = now + policy.lease_ttl_s
            return "ok", 0.0


def build_limiter(settings: Settings, *, clock: Clock, slots: FairUseSlots | None) -> FairUseLimiter:
    """The fleet-wide limiter on `slots` (one connection's), or (None: the embedded demo) an in-process one.

    An in-process limiter only limits the callers that share it: build one per connection
    and reuse it for every client of that connection in the process.
    """
    policy = FairUsePolicy.from_settings(settings)
    if slots is None:
        return InProcessFairUseLimiter(policy=policy, clock=clock)
    fleet = replace(policy, lease_ttl_s=FLEET_LEASE_TTL_S, lease_renew_s=FLEET_LEASE_TTL_S / 4)
    return FleetFairUseLimiter(slots, policy=fleet, clock=clock)
