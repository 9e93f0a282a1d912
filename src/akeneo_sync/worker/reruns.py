"""Run-again requests and the catalog watchdog: what a trigger that found the lock held is owed.

A trigger that finds a catalog's lock held is recorded as a rerun for the holder, which runs
again at release. A SIGKILLed holder never does, so every coalesced trigger arms one delayed
watchdog per catalog: once the lock would have expired it enqueues the owed run itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from akeneo_sync.state import RunMode
from akeneo_sync.worker.runtime import Runtime

__all__ = [
    "WATCHDOG_MARGIN_S",
    "arm_watchdog",
    "covered_by",
    "disarm_watchdog",
    "honour_reruns",
    "next_mode",
    "pending_reruns",
    "watchdog_delay_s",
]


def next_mode(requested: list[str]) -> RunMode:
    """The one run that honours these rerun requests (a full run covers an incremental one)."""
    for mode in (RunMode.FULL, RunMode.INCREMENTAL, RunMode.RECONCILE):
        if mode.value in requested:
            return mode
    return RunMode(requested[0])


def covered_by(mode: RunMode, requested: list[str]) -> list[str]:
    """The requested rerun modes a run of `mode` honours (a full run ends with the diff too)."""
    if mode is RunMode.FULL:
        return list(requested)
    return [m for m in requested if m == mode.value]


def pending_reruns(runtime: Runtime, tenant: str, catalog: str) -> list[str]:
    """Rerun modes recorded and not yet honoured (left behind if their holder died)."""
    return runtime.state.locks.rerun_requested(tenant, catalog)


WATCHDOG_MARGIN_S: Final = 1.0


def watchdog_delay_s(runtime: Runtime, tenant: str, catalog: str) -> float:
    """When to check a coalesced trigger's rerun flag: just after the holder's lock would expire.

    A live holder renews its lock and honours the flag at release; a SIGKILLed one stops renewing,
    so this is the first moment a run can start. Waiting the lock's remaining time (not a whole
    TTL) bounds the resume after a kill by the broker's redelivery and the lock TTL, not their sum.
    """
    left = runtime.state.locks.expires_in(tenant, catalog)
    return (left if left is not None else 0.0) + WATCHDOG_MARGIN_S


def arm_watchdog(runtime: Runtime, tenant: str, catalog: str) -> bool:
    """Claim the one pending watchdog slot of a catalog; False when one is already armed.

    A coalesced trigger leaves a rerun flag for the lock holder. If that holder was SIGKILLed it
    will never honour it, so a delayed watchdog checks, once the lock would have expired, that the
    flag was consumed, and enqueues the run otherwise (`honour_reruns`).
    """
    # The slot outlives the longest delay, so a watchdog message lost with Redis frees it.
    ttl_s = (runtime.settings.catalog_lock_ttl_s + WATCHDOG_MARGIN_S) * 2
    return runtime.state.locks.arm_watchdog(tenant, catalog, ttl_s=ttl_s)


def disarm_watchdog(runtime: Runtime, tenant: str, catalog: str) -> None:
    """Free the watchdog slot (the watchdog is running now)."""
    runtime.state.locks.disarm_watchdog(tenant, catalog)


def honour_reruns(runtime: Runtime, tenant: str, catalog: str, enqueue: Callable[[RunMode], object]) -> float | None:
    """The watchdog's decision: enqueue the run a dead holder owed, or wait for a live one.

    Returns the delay after which to look again while the lock is still held (None when done).
    The run is *enqueued*, not run here: its own message is then redelivered if this worker dies
    too, where a run made inside the watchdog was stranded by a second kill (the flags were
    already forgotten). Enqueue before forgetting: a kill in between costs a duplicate run,
    never a lost one.
    """
    pending = pending_reruns(runtime, tenant, catalog)
    if not pending:
        return None
    if runtime.state.locks.holder(tenant, catalog) is not None:
        return watchdog_delay_s(runtime, tenant, catalog)
    mode = next_mode(pending)
    enqueue(mode)
    # The enqueued run honours these requests: left in place, its release would find them and
    # run the catalog again (a second full sync after every dead holder).
    runtime.state.locks.forget_reruns(tenant, catalog, covered_by(mode, pending))
    return None
