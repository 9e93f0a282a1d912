"""`run_catalog_sync`: one catalog run under the catalog lock — everything an actor needs.

The lock guarantees one run per catalog across the fleet. A trigger that finds it held records
its mode in the "run again" set and returns at once; the holder, on release, finds the request
and runs again before letting go, so a change that arrived mid-run is never left waiting for the
next schedule. The lock is extended between pages (the heartbeat); a holder that lost it stops.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, Protocol

from akeneo_sync.state import RunMode
from akeneo_sync.sync.engine import RunControl, SyncEngine
from akeneo_sync.sync.summary import RunSummary

__all__ = ["MAX_RUNS_PER_CALL", "RunLock", "run_catalog_sync"]

# Reruns are coalesced, but a catalog edited non-stop must not pin a worker thread forever:
# past this many runs the requests stay recorded for the next trigger or scheduler tick.
MAX_RUNS_PER_CALL: Final = 3

_LOCKED_MODES: Final = (RunMode.FULL, RunMode.INCREMENTAL, RunMode.RECONCILE)


def _never() -> bool:
    return False


class RunLock(Protocol):
    """One holder's claim on a catalog's run lock (the worker's is `worker.catalog_lock.CatalogRunLock`)."""

    def acquire(self, rerun_mode: str) -> bool:
        """Take the lock, or record `rerun_mode` for its holder and return False."""
        ...

    def still_held(self) -> bool:
        """Checked between pages: False once the lock was lost (the run aborts)."""
        ...

    def release(self, *, honour_rerun: bool = True) -> list[str]:
        """Release; with `honour_rerun`, returns reruns requested meanwhile and keeps the lock."""
        ...


def run_catalog_sync(
    engine: SyncEngine,
    catalog_id: str,
    mode: RunMode,
    *,
    lock: RunLock,
    should_stop: Callable[[], bool] = _never,
    max_runs: int = MAX_RUNS_PER_CALL,
) -> list[RunSummary]:
    """Run `mode` on the catalog under its lock, then any reruns requested meanwhile.

    Returns the summaries of the runs made, in order; an empty list when another worker holds
    the lock (this request was recorded as a rerun for it). Errors propagate after the lock is
    released, leaving pending rerun requests for the next holder.
    """
    if mode not in _LOCKED_MODES:
        raise ValueError(f"{mode} is not a catalog run; call SyncEngine.sync_uuids")
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
