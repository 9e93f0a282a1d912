"""`run_catalog_sync`: one catalog run under the catalog lock — everything an actor needs.

The lock guarantees one run per catalog across the fleet. A trigger that finds it held records
its mode in the "run again" set and returns at once; the holder, on release, finds the request
and runs again before letting go, so a change that arrived mid-run is never left waiting for the
next schedule. The lock is extended between pages (the heartbeat); a holder that lost it stops.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Final

from akeneo_sync.state import RunMode
from akeneo_sync.sync.engine import RunControl, SyncEngine
from akeneo_sync.sync.summary import RunSummary

__all__ = ["DEFAULT_LOCK_TTL_S", "MAX_RUNS_PER_CALL", "run_catalog_sync"]

# Longer than the slowest page fetch plus push; the heartbeat renews it between pages.
DEFAULT_LOCK_TTL_S: Final = 120.0
# Reruns are coalesced, but a catalog edited non-stop must not pin a worker thread forever:
# past this many runs the requests stay recorded for the next trigger or scheduler tick.
MAX_RUNS_PER_CALL: Final = 3

_LOCKED_MODES: Final = (RunMode.FULL, RunMode.INCREMENTAL, RunMode.RECONCILE)


def _never() -> bool:
    return False


def run_catalog_sync(
    engine: SyncEngine,
    catalog_id: str,
    mode: RunMode,
    *,
    should_stop: Callable[[], bool] = _never,
    lock_ttl_s: float = DEFAULT_LOCK_TTL_S,
    owner: str | None = None,
    max_runs: int = MAX_RUNS_PER_CALL,
) -> list[RunSummary]:
    """Run `mode` on the catalog under its lock, then any reruns requested meanwhile.

    Returns the summaries of the runs made, in order; an empty list when another worker holds
    the lock (this request was recorded as a rerun for it). Errors propagate after the lock is
    released, leaving pending rerun requests for the next holder.
    """
    if mode not in _LOCKED_MODES:
        raise ValueError(f"{mode} is not a catalog run; call SyncEngine.sync_uuids")
    locks, tenant = engine.state.locks, engine.tenant
    holder = owner or uuid.uuid4().hex
    if not locks.acquire(tenant, catalog_id, holder, ttl_s=lock_ttl_s, rerun_mode=mode.value):
        return []
    control = RunControl(
        should_stop=should_stop,
        heartbeat=lambda: locks.heartbeat(tenant, catalog_id, holder, ttl_s=lock_ttl_s),
    )
    summaries: list[RunSummary] = []
    pending: list[RunMode] = [mode]
    try:
        while pending:
            summary = engine.run(catalog_id, pending.pop(0), control)
            summaries.append(summary)
            if not summary.is_success or len(summaries) >= max_runs:
                break
            if not pending:
                pending = _order(locks.release(tenant, catalog_id, holder, ttl_s=lock_ttl_s))
                if not pending:
                    return summaries  # released for good
    except BaseException:
        locks.release(tenant, catalog_id, holder, ttl_s=lock_ttl_s, honour_rerun=False)
        raise
    locks.release(tenant, catalog_id, holder, ttl_s=lock_ttl_s, honour_rerun=False)
    return summaries


def _order(modes: Sequence[str]) -> list[RunMode]:
    """Reruns to make: a full run covers the others (it ends with the UUID diff)."""
    requested = {RunMode(m) for m in modes if m in {x.value for x in _LOCKED_MODES}}
    if RunMode.FULL in requested:
        return [RunMode.FULL]
    return [m for m in (RunMode.INCREMENTAL, RunMode.RECONCILE) if m in requested]
