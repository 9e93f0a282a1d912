"""`run_catalog_sync`: one catalog run under the catalog lock — everything an actor needs.

The lock guarantees one run per catalog across the fleet. A trigger that finds it held records
its mode in the "run again" set and returns at once; the holder, on release, finds the request
and runs again before letting go, so a change that arrived mid-run is never left waiting for the
next schedule. The lock is extended between pages (the heartbeat); a holder that lost it stops.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Final, Protocol

from akeneo_sync.state import RunMode
from akeneo_sync.sync.engine import RunControl, SyncEngine
from akeneo_sync.sync.summary import RunSummary

__all__ = ["DEFAULT_LOCK_TTL_S", "MAX_RUNS_PER_CALL", "PageHeartbeatLock", "RunLock", "run_catalog_sync"]

# Longer than the slowest page fetch plus push; the heartbeat renews it between pages.
DEFAULT_LOCK_TTL_S: Final = 120.0
# Reruns are coalesced, but a catalog edited non-stop must not pin a worker thread forever:
# past this many runs the requests stay recorded for the next trigger or scheduler tick.
MAX_RUNS_PER_CALL: Final = 3

_LOCKED_MODES: Final = (RunMode.FULL, RunMode.INCREMENTAL, RunMode.RECONCILE)


def _never() -> bool:
    return False


class RunLock(Protocol):
    """One holder's claim on a catalog's run lock."""

    def acquire(self, rerun_mode: str) -> bool:
        """Take the lock, or record `rerun_mode` for its holder and return False."""
        ...

    def still_held(self) -> bool:
        """Checked between pages: False once the lock was lost (the run aborts)."""
        ...

    def release(self, *, honour_rerun: bool = True) -> list[str]:
        """Release; with `honour_rerun`, returns reruns requested meanwhile and keeps the lock."""
        ...


class PageHeartbeatLock:
    """The catalog lock, extended by `ttl_s` each time the engine asks between pages.

    Fits callers whose pages are much shorter than `ttl_s`; a worker whose pages may stall
    behind a rate-limited PIM renews from a background thread instead (`worker.catalog_lock`).
    """

    def __init__(self, engine: SyncEngine, catalog_id: str, *, ttl_s: float = DEFAULT_LOCK_TTL_S,
                 owner: str | None = None) -> None:
        self._locks, self._tenant, self._catalog = engine.state.locks, engine.tenant, catalog_id
        self._owner = owner or uuid.uuid4().hex
        self._ttl_s = ttl_s

    def acquire(self, rerun_mode: str) -> bool:
        return self._locks.acquire(self._tenant, self._catalog, self._owner, ttl_s=self._ttl_s, rerun_mode=rerun_mode)

    def still_held(self) -> bool:
        return self._locks.heartbeat(self._tenant, self._catalog, self._owner, ttl_s=self._ttl_s)

    def release(self, *, honour_rerun: bool = True) -> list[str]:
        return self._locks.release(self._tenant, self._catalog, self._owner, ttl_s=self._ttl_s,
                                   honour_rerun=honour_rerun)


def run_catalog_sync(
    engine: SyncEngine,
    catalog_id: str,
    mode: RunMode,
    *,
    should_stop: Callable[[], bool] = _never,
    lock: RunLock | None = None,
    lock_ttl_s: float = DEFAULT_LOCK_TTL_S,
    owner: str | None = None,
    max_runs: int = MAX_RUNS_PER_CALL,
) -> list[RunSummary]:
    """Run `mode` on the catalog under its lock, then any reruns requested meanwhile.

    Returns the summaries of the runs made, in order; an empty list when another worker holds
    the lock (this request was recorded as a rerun for it). Errors propagate after the lock is
    released, leaving pending rerun requests for the next holder. `lock` defaults to a
    `PageHeartbeatLock` of `lock_ttl_s`.
    """
    if mode not in _LOCKED_MODES:
        raise ValueError(f"{mode} is not a catalog run; call SyncEngine.sync_uuids")
    lock = lock or PageHeartbeatLock(engine, catalog_id, ttl_s=lock_ttl_s, owner=owner)
    if not lock.acquire(mode.value):
        return []
    control = RunControl(should_stop=should_stop, heartbeat=lock.still_held)
    summaries: list[RunSummary] = []
    pending: list[RunMode] = [mode]
    try:
        while pending:
            summary = engine.run(catalog_id, pending.pop(0), control)
            summaries.append(summary)
            if not summary.is_success:
                break
            if summary.refresh is not None and not should_stop():
                # Drift or the schedule: a full run now, under this lock (it covers every rerun),
                # even past `max_runs` — a probe moves on, so a drift left for later may go unseen.
                pending = [RunMode.FULL]
                continue
            if len(summaries) >= max_runs:
                break
            if not pending:
                pending = _order(lock.release())
                if not pending:
                    return summaries  # released for good
    except BaseException:
        lock.release(honour_rerun=False)
        raise
    lock.release(honour_rerun=False)
    return summaries


def _order(modes: Sequence[str]) -> list[RunMode]:
    """Reruns to make: a full run covers the others (it ends with the UUID diff)."""
    requested = {RunMode(m) for m in modes if m in {x.value for x in _LOCKED_MODES}}
    if RunMode.FULL in requested:
        return [RunMode.FULL]
    return [m for m in (RunMode.INCREMENTAL, RunMode.RECONCILE) if m in requested]
